"""Group commit: concurrent items share one write; a failing batch falls back to singles."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from services.polls.casting.batching import GroupCommitter
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


def test_cells_under_k_are_suppressed_with_a_complementary_cell() -> None:
    cells = {c.key: c for c in suppress({"a": 30, "b": 12, "c": 3}, 10)}
    assert cells["c"].voters is None
    assert cells["b"].suppressed
    assert cells["a"].voters == 30


@pytest.mark.parametrize(("age", "band"), [(16, "<18"), (18, "18-24"), (64, "55-64"), (90, "65+")])
def test_age_bands_are_coarse(age: int, band: str) -> None:
    assert age_band(age) == band
