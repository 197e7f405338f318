"""The clock: opens and closes comment periods at their announced times, on one replica."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

import structlog
from litestar import Litestar

from services.discussions.comment_periods.domain import CommentPeriodsService
from services.discussions.db import utcnow
from shared.lease import Lease
from shared.periodic import background_lifespan, run_periodically

__all__ = ("CommentPeriodScheduler",)

_log = structlog.get_logger("vmeste.discussions.scheduler")


class CommentPeriodScheduler:
    """Ticks every ``interval_s`` while this replica holds the scheduler lease."""

    def __init__(
        self, periods: CommentPeriodsService, lease: Lease, interval_s: float = 1.0
    ) -> None:
        self.periods = periods
        self.lease = lease
        self.interval_s = interval_s

    async def run_once(self) -> None:
        if await self.lease.acquire():
            for period_id, status in await self.periods.tick(utcnow()):
                _log.info("comment period changed state", period=period_id, status=status)

    async def run(self, stop: asyncio.Event) -> None:
        await run_periodically(
            self.run_once, self.interval_s, stop, "scheduler tick", self.lease.release
        )

    @property
    def lifespan(self) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
        return background_lifespan("period-scheduler", self.run)
