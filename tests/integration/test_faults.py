"""Faults under load: Redis killed, PostgreSQL restarted, a replica killed, the SQLite disk
full. While a dependency is down the services answer 503 with Retry-After, never 500; they
accept again within seconds of its return; every receipt has its entry on the audited board
and nobody is counted twice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ops.cluster import Cluster
from ops.faults import (
    Embedded,
    FaultRow,
    LoadShape,
    format_table,
    run_cluster_fault,
    run_disk_fault,
)

pytestmark = pytest.mark.slow

SHAPE = LoadShape(casters=6, commenters=3, outage_s=2.5, max_items_per_client=300)
RECOVERY_LIMIT_S = 10.0
_TABLE: list[FaultRow] = []


@pytest.fixture(scope="module")
def table() -> Iterator[list[FaultRow]]:
    yield _TABLE
    if _TABLE:
        print("\n\nfaults under load\n" + format_table(_TABLE))


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    running = Cluster(
        tmp_path_factory.mktemp("faults-cluster"),
        replicas={"polls": 2, "discussions": 2},
        extra_env={"VMESTE_RATE_LIMITS": "off"},
    )
    try:
        running.start()
        yield running
    finally:
        running.stop()


def _check(rows: list[FaultRow], *, must_refuse: bool) -> None:
    print("\n" + format_table(rows))
    for row in rows:
        where = f"{row.fault}/{row.stream}"
        assert row.server_errors == 0, f"{where}: {row.server_errors} answers were 500: {row}"
        assert row.no_retry_after == 0, f"{where}: 503 without Retry-After: {row}"
        assert row.missing == 0, f"{where}: {row.missing} receipts have no entry on the board"
        assert row.duplicates == 0, f"{where}: {row.duplicates} counted twice: {row}"
        assert row.unresolved == 0, f"{where}: {row.unresolved} submissions never answered"
        assert not row.audit_errors, f"{where}: the board does not verify: {row.audit_errors}"
        assert row.receipts > 0, f"{where}: nothing was accepted at all"
        assert row.entries == row.receipts, f"{where}: entries != receipted submissions"
        assert row.recovery_s is not None, f"{where}: never accepted again after the fault"
        assert row.recovery_s <= RECOVERY_LIMIT_S, f"{where}: recovery took {row.recovery_s} s"
        assert not row.notes or row.fault == "disk-full", f"{where}: unexpected: {row.notes}"
        if row.stream == "casts":
            assert row.repeats > 0
            assert row.refused.get(409, 0) >= row.repeats
    if must_refuse:
        # The dependency really was down for the services: they said so with 503s.
        assert any(row.refused.get(503, 0) for row in rows), "the fault never showed"


async def test_redis_killed_under_load(cluster: Cluster, table: list[FaultRow]) -> None:
    rows = await run_cluster_fault("redis", cluster, SHAPE)
    table.extend(rows)
    _check(rows, must_refuse=False)
    for row in rows:  # Redis is only the fast path: nothing is refused for its absence
        assert row.refused.get(503, 0) == 0, row


async def test_postgres_restarted_under_load(cluster: Cluster, table: list[FaultRow]) -> None:
    rows = await run_cluster_fault("postgres", cluster, SHAPE)
    table.extend(rows)
    _check(rows, must_refuse=True)


async def test_replica_killed_under_load(cluster: Cluster, table: list[FaultRow]) -> None:
    rows = await run_cluster_fault("replica", cluster, SHAPE)
    table.extend(rows)
    _check(rows, must_refuse=False)
    assert all(node.alive() for node in cluster.nodes)


async def test_sqlite_disk_full_under_load(
    tmp_path_factory: pytest.TempPathFactory, table: list[FaultRow]
) -> None:
    embedded = Embedded(tmp_path_factory.mktemp("faults-embedded"))
    try:
        embedded.start()
        rows = await run_disk_fault(embedded, SHAPE)
    finally:
        embedded.stop()
    table.extend(rows)
    _check(rows, must_refuse=True)
