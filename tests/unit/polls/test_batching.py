"""Group commit: concurrent items share one write; a failing batch falls back to singles."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from services.polls.casting.batching import AdaptiveLinger, GroupCommitter
from services.polls.casting.domain import age_band
from services.polls.results.domain import suppress


async def test_concurrent_items_share_one_write() -> None:
    calls: list[list[int]] = []

    async def write(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        return [i * 2 for i in items]

    committer: GroupCommitter[int, int] = GroupCommitter(write, linger_s=0.001)
    assert await asyncio.gather(*(committer.submit(i) for i in range(20))) == [
        i * 2 for i in range(20)
    ]
    assert len(calls) == 1


async def test_a_failing_batch_is_retried_item_by_item() -> None:
    async def write(items: Sequence[int]) -> list[int]:
        if 3 in items:
            raise RuntimeError("bad item")
        return list(items)

    committer: GroupCommitter[int, int] = GroupCommitter(write)
    results = await asyncio.gather(*(committer.submit(i) for i in range(5)), return_exceptions=True)
    assert results[:3] == [0, 1, 2]
    assert isinstance(results[3], RuntimeError)
    assert results[4] == 4


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def arrivals(self, linger: AdaptiveLinger, gap_s: float, count: int) -> None:
        for _ in range(count):
            self.now += gap_s
            linger.arrived()


def test_the_first_cast_ever_is_committed_at_once() -> None:
    linger = AdaptiveLinger(0.002, _Clock())
    linger.arrived()
    assert linger.delay() == 0.0  # nothing known of the arrivals, nothing awaited


@pytest.mark.parametrize(
    ("gap_s", "delay_s"),
    [
        (5.0, 0.0),  # idle: a lone cast goes at once
        (0.0004, 0.0008),  # under load: about two arrival gaps
        (0.0015, 0.002),  # never more than the bound
    ],
)
def test_the_wait_follows_the_arrival_gap_within_its_bound(gap_s: float, delay_s: float) -> None:
    clock = _Clock()
    linger = AdaptiveLinger(0.002, clock)
    clock.arrivals(linger, gap_s, 50)
    assert linger.delay() == pytest.approx(delay_s)


def test_a_quiet_spell_after_load_stops_the_lingering_within_a_few_arrivals() -> None:
    clock = _Clock()
    linger = AdaptiveLinger(0.002, clock)
    clock.arrivals(linger, 0.0004, 50)
    clock.arrivals(linger, 1.0, 1)
    assert linger.delay() == 0.0
    clock.arrivals(linger, 0.0004, 30)  # load again: back to lingering
    assert 0 < linger.delay() <= 0.002


def test_no_bound_means_no_lingering() -> None:
    clock = _Clock()
    linger = AdaptiveLinger(0.0, clock)
    clock.arrivals(linger, 0.0001, 50)
    assert linger.delay() == 0.0


async def test_a_lone_submit_on_an_idle_committer_is_written_without_waiting() -> None:
    async def write(items: Sequence[int]) -> list[int]:
        return list(items)

    clock = _Clock()
    committer: GroupCommitter[int, int] = GroupCommitter(write, linger_s=10.0, clock=clock)
    for _ in range(3):
        clock.now += 60.0
        assert await asyncio.wait_for(committer.submit(1), timeout=1.0) == 1


async def test_a_busy_committer_lingers_so_later_items_join() -> None:
    calls: list[list[int]] = []

    async def write(items: Sequence[int]) -> list[int]:
        calls.append(list(items))
        return list(items)

    clock = _Clock()
    committer: GroupCommitter[int, int] = GroupCommitter(write, linger_s=0.05, clock=clock)
    for i in range(20):  # a history of arrivals 10 ms apart: linger 20 ms
        clock.now += 0.01
        await committer.submit(i)
    calls.clear()
    first = asyncio.ensure_future(committer.submit(100))
    await asyncio.sleep(0.005)  # arrives while the first one lingers
    second = asyncio.ensure_future(committer.submit(101))
    assert list(await asyncio.gather(first, second)) == [100, 101]
    assert calls == [[100, 101]]


def test_cells_under_k_are_suppressed_with_a_complementary_cell() -> None:
    cells = {c.key: c for c in suppress({"a": 30, "b": 12, "c": 3}, 10)}
    assert cells["c"].voters is None
    assert cells["b"].suppressed
    assert cells["a"].voters == 30


@pytest.mark.parametrize(("age", "band"), [(16, "<18"), (18, "18-24"), (64, "55-64"), (90, "65+")])
def test_age_bands_are_coarse(age: int, band: str) -> None:
    assert age_band(age) == band
