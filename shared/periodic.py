"""Background loops that must never die: the integrator, schedulers, the outbox.

Each runs one step every interval until the app stops; a failed step is logged (briefly when
the database is simply unavailable) and retried on the next tick.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from typing import Any

import structlog
from litestar import Litestar

from shared.db.errors import dependency_down

__all__ = ("background_lifespan", "run_periodically")

_log = structlog.get_logger("vmeste.periodic")


async def run_periodically(
    step: Callable[[], Awaitable[object]],
    interval_s: float,
    stop: asyncio.Event,
    what: str,
    on_exit: Callable[[], Awaitable[None]] | None = None,
    *,
    pause: Callable[[], float] | None = None,
) -> None:
    """Call ``step`` every ``interval_s`` until ``stop`` is set, then ``on_exit`` (e.g. release
    a lease so a peer takes over at once). ``pause``, if given, says how long to wait after
    each step instead (a loop that found work may come back sooner)."""
    try:
        while not stop.is_set():
            try:
                await step()
            except Exception as exc:  # one failed round must not stop the clock
                if dependency_down(exc):
                    _log.warning(f"{what} skipped: database unavailable")
                else:
                    _log.exception(f"{what} failed")
            with suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval_s if pause is None else pause())
    finally:
        if on_exit is not None:
            await on_exit()


def background_lifespan(
    name: str, run: Callable[[asyncio.Event], Coroutine[Any, Any, None]]
) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    """A lifespan that runs ``run(stop)`` as a task for as long as the app runs."""

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run(stop), name=name)
        try:
            yield
        finally:
            stop.set()
            await task

    return lifespan
