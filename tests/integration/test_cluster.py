"""Several replicas behind nginx share one PostgreSQL and Redis; the integrator lease moves on
within seconds when its holder is killed."""

from __future__ import annotations

import asyncio
import base64
import io
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import msgspec
import pytest

from ops.cluster import Cluster, Replica
from shared.log.audit import audit_board
from shared.log.merkle import leaf_hash
from shared.tally.results import recompute_from_board
from tests.harness.people import People
from tests.integration.polls._support import (
    GOOD_ANSWERS,
    cast,
    open_poll,
    survey_body,
    wait_status,
)

pytestmark = pytest.mark.slow

VOTE_S = 45.0
"""The test poll's length: the votes and the kill fit in it; then it closes by itself."""


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


async def test_sigterm_releases_the_lease_and_exits_within_the_grace_period(
    cluster: Cluster,
) -> None:
    holder = await _wait_holder(cluster, "ledger-integrator", None, 15)
    victim = _replica_of(cluster, holder)
    stopped_at = time.monotonic()
    victim.process.send_signal(signal.SIGTERM)
    successor = await _wait_holder(cluster, "ledger-integrator", f"{victim.name}-", 10)
    handover = time.monotonic() - stopped_at
    exit_code = await asyncio.to_thread(victim.process.wait, 30)
    exited = time.monotonic() - stopped_at
    print(
        f"graceful stop of {victim.name}: lease to {successor} in {handover:.2f} s, "
        f"exited {exit_code} after {exited:.2f} s"
    )
    # Released at shutdown, so the next round of a peer (every second) takes it: well under
    # the three seconds a killed holder's lease needs to expire.
    assert handover < 2.5
    assert exited < 30
    cluster.restart(victim)


def test_cluster_folder_holds_keys_shared_by_all_replicas(cluster: Cluster) -> None:
    keys = {httpx.get(f"{cluster.url('polls')}/api/v1/keys", timeout=10).text for _ in range(6)}
    assert len(keys) == 1
    assert (Path(cluster.folder) / "keys" / "log-polls").is_dir()


async def _vote(
    client: httpx.AsyncClient, voter: dict[str, str], poll_id: str, key: str
) -> dict[str, str]:
    """Cast like a phone would: retry through a dying replica with the same Idempotency-Key."""
    for _ in range(40):
        try:
            response = await cast(client, voter, poll_id, GOOD_ANSWERS, **{"Idempotency-Key": key})
        except httpx.TransportError:
            await asyncio.sleep(0.25)
            continue
        if response.status_code == 201:
            return dict(response.json())
        if response.status_code in (502, 503, 504):
            await asyncio.sleep(0.25)
            continue
        raise AssertionError(f"cast refused: {response.status_code} {response.text}")
    raise AssertionError("cast never went through")


async def test_every_receipt_survives_killing_the_integrator_mid_vote(cluster: Cluster) -> None:
    people = People(cluster.folder / "keys", ("polls:manage",))
    official = people.official()
    voters = [people.citizen() for _ in range(240)]
    async with httpx.AsyncClient(base_url=cluster.url("polls"), timeout=15) as client:
        poll_id = await open_poll(client, official, survey_body(closes_in=VOTE_S))
        limit = asyncio.Semaphore(24)
        third_done = asyncio.Event()
        so_far: list[dict[str, str]] = []

        async def one(n: int) -> dict[str, str]:
            async with limit:
                receipt = await _vote(client, voters[n], poll_id, f"cast-{n}")
            so_far.append(receipt)
            if len(so_far) >= len(voters) // 3:
                third_done.set()
            return receipt

        tasks = [asyncio.create_task(one(n)) for n in range(len(voters))]
        await third_done.wait()
        holder = await _wait_holder(cluster, "ledger-integrator", None, 15)
        victim = _replica_of(cluster, holder)
        # The pool never falls below k once it has reached it, and a pooled ballot moves on
        # at the next round, so the newest receipts are the ones to look for in it: looked up
        # all at once, the kill follows a look that found some of them pooled.
        pooled_at_kill = 0
        for _ in range(20):
            newest = list(so_far)[-48:]
            states = await asyncio.gather(
                *(
                    client.get(f"/api/v1/logs/{poll_id}/tracking/{r['tracking_code']}")
                    for r in newest
                )
            )
            pooled_at_kill = sum(1 for s in states if s.json()["status"] == "pooled")
            if pooled_at_kill:
                break
        victim.kill()
        killed_at = time.monotonic()
        successor = await _wait_holder(cluster, "ledger-integrator", f"{victim.name}-", 10)
        handover = time.monotonic() - killed_at
        receipts = await asyncio.gather(*tasks)
        cluster.restart(victim)

        # Every acknowledged ballot, pooled or logged at the kill, is on the final board.
        await wait_status(client, official, poll_id, "tallied", wait_s=VOTE_S + 60)
        board = (await client.get(f"/api/v1/logs/{poll_id}/board", headers=official)).content
        published = (await client.get("/api/v1/keys")).json()

    # The final checkpoint carries both witnesses' cosignatures, checked with their keys.
    assert published["quorum"] == 2
    assert len(published["witnesses"]) == 2
    report = audit_board(
        io.BytesIO(board),
        trusted_keys=published["keys"],
        tally=recompute_from_board,
        witnesses=published["witnesses"],
        quorum=published["quorum"],
    )
    entries = [
        base64.b64decode(e)
        for line in board.splitlines()
        if b'"type":"entries"' in line
        for e in msgspec.json.decode(line)["entries"]
    ]
    in_log = {leaf_hash(e).hex() for e in entries}
    missing = [r["tracking_code"] for r in receipts if r["entry_hash"] not in in_log]
    print(
        f"\ncluster: lease {holder} -> {successor} in {handover:.2f} s; pooled at the kill "
        f"{pooled_at_kill}; receipts "
        f"{len(receipts)}, entries {len(entries)}, missing {len(missing)}, "
        f"duplicates {len(entries) - len(in_log)}"
    )
    assert handover <= 5
    # The pool never falls below k (20) once reached, though some of its ballots belong to
    # casts whose receipts were still on their way: some receipts' ballots were pooled.
    assert pooled_at_kill > 0
    assert missing == []
    assert len(entries) == len(voters)  # one ballot per voter: nobody twice, nobody lost
    assert report.ok, report.errors
