"""Entries go in, the integrator gives them leaf indices, proofs come out of stored nodes."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
from typing import Any

import pytest

from shared.lease import Lease
from shared.log.integrator import Integrator
from shared.log.merkle import (
    EMPTY_ROOT,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from shared.log.receipt import tracking_code, tracking_code_range
from shared.log.store import Head, LogStore, UnknownEntryError

NOW = dt.datetime(2026, 6, 1, 12, 34, 56, 789, tzinfo=dt.UTC)


async def _add(store: LogStore, log_id: str, n: int) -> list[bytes]:
    entries = [os.urandom(24) for _ in range(n)]
    async with store.transaction():
        for entry in entries:
            await store.add_entry(log_id, entry, NOW)
    return entries


async def test_integration_assigns_every_entry_an_index_and_the_root_matches(
    store: LogStore,
) -> None:
    await _add(store, "poll-a", 37)
    head = await store.integrate("poll-a")
    assert head is not None
    assert head.size == 37
    in_order = await store.entries("poll-a", 0, 37)
    assert len(in_order) == 37
    assert head.root == root_from_leaf_hashes(leaf_hash(e) for e in in_order)
    assert await store.integrate("poll-a") is None


async def test_batches_give_the_same_tree_as_one_pass(store: LogStore) -> None:
    await _add(store, "poll-b", 50)
    sizes = []
    while (head := await store.integrate("poll-b", max_batch=7)) is not None:
        sizes.append(head.size)
    assert sizes == [7, 14, 21, 28, 35, 42, 49, 50]
    in_order = await store.entries("poll-b", 0, 50)
    assert (await store.head("poll-b")).root == root_from_leaf_hashes(
        leaf_hash(e) for e in in_order
    )


async def test_inclusion_proofs_verify_at_current_and_earlier_sizes(store: LogStore) -> None:
    entries = await _add(store, "poll-c", 20)
    first = await store.integrate("poll-c", max_batch=13)
    assert first is not None
    more = await _add(store, "poll-c", 9)
    final = await store.integrate("poll-c")
    assert final is not None
    for entry in entries + more:
        proof = await store.inclusion("poll-c", leaf_hash(entry))
        verify_inclusion(proof.leaf_index, final.size, leaf_hash(entry), proof.proof, final.root)
    early = await store.entries("poll-c", 0, 13)
    for entry in early:
        proof = await store.inclusion("poll-c", leaf_hash(entry), tree_size=13)
        verify_inclusion(proof.leaf_index, 13, leaf_hash(entry), proof.proof, first.root)


async def test_consistency_proofs_between_checkpoints_verify(store: LogStore) -> None:
    heads: list[Head] = []
    for n in (1, 4, 11, 16, 3):
        await _add(store, "poll-d", n)
        head = await store.integrate("poll-d")
        assert head is not None
        heads.append(head)
    for older in heads:
        for newer in heads:
            if older.size <= newer.size:
                proof = await store.consistency("poll-d", older.size, newer.size)
                verify_consistency(older.size, newer.size, proof, older.root, newer.root)


async def test_unknown_or_unintegrated_entry_has_no_proof(store: LogStore) -> None:
    (entry,) = await _add(store, "poll-e", 1)
    with pytest.raises(UnknownEntryError):
        await store.inclusion("poll-e", leaf_hash(entry))
    await store.integrate("poll-e")
    with pytest.raises(UnknownEntryError):
        await store.inclusion("poll-e", leaf_hash(b"never added"))


async def test_logs_are_independent(store: LogStore) -> None:
    await _add(store, "poll-f", 3)
    await _add(store, "poll-g", 5)
    assert sorted(await store.pending_logs()) == ["poll-f", "poll-g"]
    await store.integrate("poll-f")
    assert await store.pending_logs() == ["poll-g"]
    assert not await store.has_pending("poll-f")
    assert await store.has_pending("poll-g")
    assert (await store.head("poll-f")).size == 3
    assert await store.head("poll-h") == Head(size=0, root=EMPTY_ROOT)


async def test_entries_keep_no_time_finer_than_a_minute(store: LogStore) -> None:
    await _add(store, "poll-i", 1)
    rows = await store.t.entry.select(store.t.entry.received_minute)
    stamp = rows[0]["received_minute"]
    assert (stamp.second, stamp.microsecond) == (0, 0)


async def test_bulk_insert_gives_the_same_rows_and_tree_as_one_by_one(
    store: LogStore,
) -> None:
    # Entry hashes are unique across logs, so each log gets its own entries; both trees
    # must be the one the maths builds from the entries' hashes in hash order.
    one_by_one = [os.urandom(24) for _ in range(23)]
    bulk = [os.urandom(24) for _ in range(23)]
    async with store.transaction():
        for entry in one_by_one:
            await store.add_entry("poll-one", entry, NOW)
    async with store.transaction():
        digests = await store.add_entries([("poll-bulk", entry, NOW) for entry in bulk])
    assert digests == [leaf_hash(e) for e in bulk]
    for log_id, entries in (("poll-one", one_by_one), ("poll-bulk", bulk)):
        head = await store.integrate(log_id)
        assert head is not None
        assert head.size == 23
        assert head.root == root_from_leaf_hashes(sorted(leaf_hash(e) for e in entries))
        assert sorted(await store.entries(log_id, 0, 23)) == sorted(entries)
    e = store.t.entry
    rows = await e.select(e.log_id, e.received_minute, e.leaf_index)
    shapes = {(r["received_minute"], r["leaf_index"] is not None) for r in rows}
    assert shapes == {(NOW.replace(second=0, microsecond=0), True)}


async def test_bulk_insert_of_several_logs_and_of_nothing(store: LogStore) -> None:
    assert await store.add_entries([]) == []
    batch = [("poll-x" if i % 3 else "poll-y", os.urandom(24), NOW) for i in range(1100)]
    await store.add_entries(batch)
    assert await store.entry_count("poll-x") == sum(1 for b in batch if b[0] == "poll-x")
    assert await store.entry_count("poll-y") == sum(1 for b in batch if b[0] == "poll-y")


async def test_a_bulk_insert_with_a_repeated_entry_writes_nothing(store: LogStore) -> None:
    entry = os.urandom(24)
    await store.add_entries([("poll-z", entry, NOW)])
    with pytest.raises(Exception, match=r"(?i)unique"):
        await store.add_entries([("poll-z", os.urandom(24), NOW), ("poll-z", entry, NOW)])
    assert await store.entry_count("poll-z") == 1


async def test_tracking_code_finds_the_entry(store: LogStore) -> None:
    entries = await _add(store, "poll-j", 10)
    target = leaf_hash(entries[4])
    low, high = tracking_code_range(tracking_code(target))
    assert await store.find_by_hash_range("poll-j", low, high) == [target]
    assert await store.find_by_hash_range("poll-k", low, high) == []


async def test_only_the_lease_holder_integrates(store: LogStore, lease_table: object) -> None:
    signed: list[tuple[str, int]] = []

    def sign(log_id: str, head: Head) -> str:
        signed.append((log_id, head.size))
        return f"note {log_id} {head.size}"

    first = Integrator(store, Lease(lease_table, "integrator", ttl_s=30), sign)  # type: ignore[arg-type]
    second = Integrator(store, Lease(lease_table, "integrator", ttl_s=30), sign)  # type: ignore[arg-type]
    await _add(store, "poll-l", 4)
    assert await second.run_once() != []
    await _add(store, "poll-l", 2)
    assert await first.run_once() == []
    assert await second.run_once() == [("poll-l", (await store.head("poll-l")))]
    assert signed == [("poll-l", 4), ("poll-l", 6)]
    assert await store.checkpoints("poll-l") == ["note poll-l 4", "note poll-l 6"]
    assert await store.latest_checkpoint("poll-l") == (6, "note poll-l 6")


class _Batches:
    """A feeder with ``ready`` batches of entries waiting, then nothing."""

    def __init__(self, store: LogStore, ready: int) -> None:
        self.store = store
        self.ready = ready
        self.rounds = 0
        self.found_nothing = asyncio.Event()

    async def feed(self) -> Any:  # the leaf hashes handed over, for an integrator that reads them
        self.rounds += 1
        if self.ready == 0:
            self.found_nothing.set()
            return {}
        self.ready -= 1
        entries = [os.urandom(24) for _ in range(3)]
        async with self.store.transaction():
            hashes = await self.store.add_entries([("poll-f", e, NOW) for e in entries])
        return {"poll-f": hashes}

    async def waiting(self, log_id: str) -> int:
        return 0

    async def find(self, log_id: str, tracking_code: str) -> None:
        return None


async def test_rounds_follow_each_other_while_the_feeder_has_batches_then_keep_the_interval(
    store: LogStore, lease_table: object
) -> None:
    feeder = _Batches(store, ready=3)
    integrator = Integrator(
        store,
        Lease(lease_table, "integrator", ttl_s=30),  # type: ignore[arg-type]
        lambda log_id, head: f"note {log_id} {head.size}",
        interval_s=30.0,
        feeder=feeder,
        busy_interval_s=0.01,
    )
    stop = asyncio.Event()
    running = asyncio.create_task(integrator.run(stop))
    try:
        # Three batches, each checkpointed in its round, and one round that finds nothing,
        # all far within one interval.
        await asyncio.wait_for(feeder.found_nothing.wait(), 10)
        assert feeder.rounds == 4
        assert await store.checkpoints("poll-f") == [
            "note poll-f 3",
            "note poll-f 6",
            "note poll-f 9",
        ]
        await asyncio.sleep(0.5)
        assert feeder.rounds == 4  # nothing ready: back to the interval
    finally:
        stop.set()
        await running


async def test_lease_passes_on_after_expiry_or_release(
    lease_table: object, store: LogStore
) -> None:
    a = Lease(lease_table, "x", ttl_s=0.3)  # type: ignore[arg-type]
    b = Lease(lease_table, "x", ttl_s=0.3)  # type: ignore[arg-type]
    assert await a.acquire()
    assert not await b.acquire()
    assert await a.acquire()  # renewal by the holder
    await asyncio.sleep(0.4)
    assert await b.acquire()
    assert not await a.acquire()
    await b.release()
    assert await a.acquire()
    assert await a.current_holder() == a.holder


async def test_rounds_called_at_once_in_one_replica_build_one_tree(
    store: LogStore, lease_table: object
) -> None:
    # The background loop and integrate_now (a close, a cancel, a report) call run_once of
    # the same integrator at the same time; both hold the lease, so only the integrator
    # itself can keep them from building the same nodes twice.
    signed: list[int] = []

    def sign(log_id: str, head: Head) -> str:
        signed.append(head.size)
        return f"note {log_id} {head.size}"

    integrator = Integrator(store, Lease(lease_table, "integrator", ttl_s=30), sign)  # type: ignore[arg-type]
    entries: list[bytes] = []
    for _ in range(8):
        entries += await _add(store, "poll-m", 5)
        await asyncio.gather(*(integrator.run_once() for _ in range(3)))
    head = await store.head("poll-m")
    assert head.size == len(entries)
    in_order = await store.entries("poll-m", 0, head.size)
    assert sorted(in_order) == sorted(entries)
    assert head.root == root_from_leaf_hashes(leaf_hash(e) for e in in_order)
    assert signed == sorted(set(signed)), "every checkpoint signed once, sizes only growing"
