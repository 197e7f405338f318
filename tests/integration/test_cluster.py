"""Several replicas behind nginx share one PostgreSQL and Redis; the integrator lease moves on
within seconds when its holder is killed."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from shared.cluster import Cluster, Replica

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        running.start()
        yield running
    finally:
        running.stop()


async def _lease_holder(cluster: Cluster, name: str) -> str | None:
    connection = await asyncpg.connect(cluster.database_url("polls"))
    try:
        row = await connection.fetchrow(
            "SELECT holder FROM lease WHERE name = $1 AND expires_at >= $2", name, time.time()
        )
    finally:
        await connection.close()
    return None if row is None else str(row["holder"])


async def _wait_holder(cluster: Cluster, name: str, not_prefix: str | None, within_s: float) -> str:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        holder = await _lease_holder(cluster, name)
        if holder is not None and (not_prefix is None or not holder.startswith(not_prefix)):
            return holder
        await asyncio.sleep(0.1)
    raise AssertionError(f"no new holder of {name} within {within_s} s")


def _replica_of(cluster: Cluster, holder: str) -> Replica:
    return next(n for n in cluster.nodes if holder.startswith(f"{n.name}-"))


def test_balancer_spreads_requests_over_every_replica(cluster: Cluster) -> None:
    for service in ("polls", "discussions"):
        for _ in range(12):
            response = httpx.get(f"{cluster.url(service)}/health/ready", timeout=10)
            assert response.status_code == 200
    assert all(node.alive() for node in cluster.nodes)
    assert len([n for n in cluster.nodes if n.service == "polls"]) == 3


async def test_integrator_lease_is_taken_over_after_its_holder_is_killed(
    cluster: Cluster,
) -> None:
    holder = await _wait_holder(cluster, "ledger-integrator", None, 15)
    victim = _replica_of(cluster, holder)
    victim.kill()
    killed_at = time.monotonic()
    successor = await _wait_holder(cluster, "ledger-integrator", f"{victim.name}-", 10)
    handover = time.monotonic() - killed_at
    print(f"integrator lease: {holder} killed, {successor} took over after {handover:.2f} s")
    assert _replica_of(cluster, successor).alive()
    assert handover <= 5
    async with httpx.AsyncClient(base_url=cluster.url("polls"), timeout=10) as client:
        for _ in range(6):
            assert (await client.get("/health/live")).status_code == 200
    cluster.restart(victim)


def test_cluster_folder_holds_keys_shared_by_all_replicas(cluster: Cluster) -> None:
    keys = {httpx.get(f"{cluster.url('polls')}/api/v1/keys", timeout=10).text for _ in range(6)}
    assert len(keys) == 1
    assert (Path(cluster.folder) / "keys" / "log-polls").is_dir()
