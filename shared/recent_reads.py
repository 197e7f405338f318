"""Rows as read from the database at most a second ago, for the requests every citizen makes.

Opening a poll's page, casting and checking a receipt each need the poll (its status, dates,
questions, territory), and every widget page on an official site needs its organisation's
registered sites; read afresh, that is one query per request for a row that changes a few
times in its life. The authority stays the database: a cast's commit re-reads the poll's
status under a lock, and this replica's own changes drop the copy at once; another replica's
change shows here within ``max_age_s``.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

__all__ = ("RecentReads",)

T = TypeVar("T")

_MAX_ENTRIES = 10_000
"""Polls kept at once; far more than are open together, so never reached in use."""

_LONGEST_READ_S = 60.0
"""A read that took longer keeps nothing, so a change this process made longer ago than this
can hold back no read still running: its mark is dropped once the marks reach the bound."""


class RecentReads(Generic[T]):
    """Reads by id, each kept ``max_age_s``; concurrent misses of one id share one read."""

    def __init__(
        self,
        read: Callable[[str], Awaitable[T | None]],
        max_age_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._read = read
        self._max_age_s = max_age_s
        self._clock = clock
        self._kept: dict[str, tuple[float, T]] = {}
        self._loading: dict[str, asyncio.Future[T | None]] = {}
        self._forgotten: dict[str, float] = {}

    async def get(self, key: str) -> T | None:
        now = self._clock()
        kept = self._kept.get(key)
        if kept is not None and now - kept[0] < self._max_age_s:
            return kept[1]
        loading = self._loading.get(key)
        if loading is None or loading.get_loop() is not asyncio.get_running_loop():
            loading = asyncio.ensure_future(self._load(key, now))
            self._loading[key] = loading
        return await asyncio.shield(loading)

    def forget(self, key: str) -> None:
        """Drop the copy (this process changed the row): the next get reads afresh, and a read
        that began before now keeps nothing."""
        self._kept.pop(key, None)
        self._loading.pop(key, None)
        now = self._clock()
        self._forgotten[key] = now
        if len(self._forgotten) > _MAX_ENTRIES:
            self._forgotten = {
                k: at for k, at in self._forgotten.items() if now - at < _LONGEST_READ_S
            }

    async def _load(self, key: str, now: float) -> T | None:
        try:
            value = await self._read(key)
        finally:
            if self._loading.get(key) is asyncio.current_task():
                del self._loading[key]
        if (
            value is not None
            and now > self._forgotten.get(key, float("-inf"))
            and self._clock() - now < _LONGEST_READ_S
        ):
            if len(self._kept) >= _MAX_ENTRIES:
                self._kept.clear()
            self._kept[key] = (now, value)
        return value
