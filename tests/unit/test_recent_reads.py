"""Recent reads of a poll: one read per second at most, shared, and dropped on a local change."""

from __future__ import annotations

import asyncio

from shared.recent_reads import RecentReads
from tests.harness.clock import FakeClock


class _Rows:
    def __init__(self) -> None:
        self.value = "v1"
        self.reads = 0
        self.gate: asyncio.Event | None = None
        self.started = asyncio.Event()

    async def read(self, key: str) -> str | None:
        self.reads += 1
        self.started.set()
        seen = self.value
        if self.gate is not None:
            await self.gate.wait()
        return None if key == "missing" else seen


async def test_a_second_get_within_the_age_reads_nothing() -> None:
    rows = _Rows()
    recent = RecentReads(rows.read, max_age_s=60)
    assert await recent.get("p") == "v1"
    rows.value = "v2"
    assert await recent.get("p") == "v1"
    assert rows.reads == 1


async def test_an_older_copy_is_read_again() -> None:
    rows = _Rows()
    clock = FakeClock()
    recent = RecentReads(rows.read, max_age_s=1.0, clock=clock)
    await recent.get("p")
    rows.value = "v2"
    clock.now += 0.9
    assert await recent.get("p") == "v1"  # not a second old yet
    clock.now += 0.2
    assert await recent.get("p") == "v2"
    assert rows.reads == 2


async def test_concurrent_misses_share_one_read() -> None:
    rows = _Rows()
    rows.gate = asyncio.Event()
    recent = RecentReads(rows.read, max_age_s=60)
    waiting = [asyncio.ensure_future(recent.get("p")) for _ in range(20)]
    await asyncio.sleep(0)
    rows.gate.set()
    assert await asyncio.gather(*waiting) == ["v1"] * 20
    assert rows.reads == 1


async def test_forget_makes_the_next_get_read_afresh() -> None:
    rows = _Rows()
    recent = RecentReads(rows.read, max_age_s=60)
    await recent.get("p")
    rows.value = "v2"
    recent.forget("p")
    assert await recent.get("p") == "v2"


async def test_a_read_begun_before_a_change_is_not_kept() -> None:
    rows = _Rows()
    rows.gate = asyncio.Event()
    recent = RecentReads(rows.read, max_age_s=60)
    before = asyncio.ensure_future(recent.get("p"))
    await rows.started.wait()
    rows.value = "v2"
    recent.forget("p")  # this process changed the row while the read was under way
    rows.gate.set()
    assert await before == "v1"  # its caller asked before the change
    rows.gate = None
    assert await recent.get("p") == "v2"


async def test_a_missing_row_is_not_kept() -> None:
    rows = _Rows()
    recent = RecentReads(rows.read, max_age_s=60)
    assert await recent.get("missing") is None
    assert await recent.get("missing") is None
    assert rows.reads == 2


async def test_marks_of_changes_older_than_any_read_are_dropped_at_the_bound() -> None:
    rows = _Rows()
    clock = FakeClock()
    recent = RecentReads(rows.read, max_age_s=60, clock=clock)
    for n in range(10_000):
        recent.forget(f"old-{n}")
    clock.now += 30
    recent.forget("recent")
    clock.now += 31  # the old marks are now 61 s old, the recent one 31 s
    recent.forget("newest")
    assert set(recent._forgotten) == {"recent", "newest"}


async def test_a_read_slower_than_the_longest_read_keeps_nothing() -> None:
    rows = _Rows()
    rows.gate = asyncio.Event()
    clock = FakeClock()
    recent = RecentReads(rows.read, max_age_s=600, clock=clock)
    slow = asyncio.ensure_future(recent.get("p"))
    await rows.started.wait()
    clock.now += 61  # a change made meanwhile could have had its mark dropped
    rows.gate.set()
    assert await slow == "v1"
    rows.gate = None
    rows.value = "v2"
    assert await recent.get("p") == "v2"
    assert rows.reads == 2
