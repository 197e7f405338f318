"""The clock: opens and closes comment periods at their announced times, on one replica."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import structlog
from litestar import Litestar

from services.discussions.db import utcnow
from services.discussions.periods.domain import PeriodsService
from shared.lease import Lease

__all__ = ("PeriodScheduler",)

_log = structlog.get_logger("vmeste.discussions.scheduler")


class PeriodScheduler:
    """Ticks every ``interval_s`` while this replica holds the scheduler lease."""

    def __init__(self, periods: PeriodsService, lease: Lease, interval_s: float = 1.0) -> None:
        self.periods = periods
        self.lease = lease
        self.interval_s = interval_s

    async def run_once(self) -> None:
        if await self.lease.acquire():
            for period_id, status in await self.periods.tick(utcnow()):
                _log.info("comment period changed state", period=period_id, status=status)

    async def run(self, stop: asyncio.Event) -> None:
        try:
            while not stop.is_set():
                try:
                    await self.run_once()
                # A failed tick (database blip) must not stop the clock; the next tick retries.
                except Exception:
                    _log.exception("scheduler tick failed")
                with suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.interval_s)
        finally:
            await self.lease.release()

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(self.run(stop), name="period-scheduler")
        try:
            yield
        finally:
            stop.set()
            await task
