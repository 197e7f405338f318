"""The single integrator of a service's logs: leaf indices, tree nodes, signed checkpoints.

Exactly one replica integrates at a time (a database lease); the others stand by and take
over within the lease's time to live if the holder dies. While entries arrive, every log with
new entries gets a new signed checkpoint each round (a fraction of a second apart).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable

import structlog

from shared.lease import Lease
from shared.ledger.store import Head, LedgerStore
from shared.periodic import run_periodically

__all__ = ("MAX_BATCH", "CheckpointSigner", "Integrator", "RoundObserver")

CheckpointSigner = Callable[[str, Head], str]
"""Given a log id and its new head, return the signed checkpoint note."""

MAX_BATCH = 50_000
"""Entries one round integrates per log: 100,000 a second at two rounds a second."""

RoundObserver = Callable[[float, list[tuple[str, Head]], int], None]
"""Told after each round of the lease holder: when it started (monotonic), the checkpoints
it signed, and how many entries it integrated."""

_log = structlog.get_logger("vmeste.integrator")


class Integrator:
    def __init__(
        self,
        store: LedgerStore,
        lease: Lease,
        sign: CheckpointSigner,
        interval_s: float = 0.25,
        observe: RoundObserver | None = None,
    ) -> None:
        self.store = store
        self.lease = lease
        self.sign = sign
        self.interval_s = interval_s
        self.observe = observe
        self.holding = False

    async def run_once(self) -> list[tuple[str, Head]]:
        """One round: integrate every log with pending entries, if this replica holds the
        lease. Returns the (log, new head) pairs it checkpointed."""
        self.holding = await self.lease.acquire()
        if not self.holding:
            return []
        started = time.monotonic()
        advanced: list[tuple[str, Head]] = []
        integrated = 0
        for log_id in await self.store.pending_logs():
            before = (await self.store.head(log_id)).size
            # One batch and one checkpoint per log and round: under a steady stream a round
            # that chased every new arrival would never get to sign.
            head = await self.store.integrate(log_id, max_batch=MAX_BATCH)
            if head is not None:
                note = self.sign(log_id, head)
                await self.store.save_checkpoint(log_id, head, note, dt.datetime.now(dt.UTC))
                advanced.append((log_id, head))
                integrated += head.size - before
        if self.observe is not None:
            self.observe(started, advanced, integrated)
        return advanced

    async def run(self, stop: asyncio.Event) -> None:
        """Integrate until ``stop`` is set, surviving database hiccups; releases the lease."""
        await run_periodically(
            self.run_once, self.interval_s, stop, "integration round", self._release
        )

    async def _release(self) -> None:
        if self.holding:
            await self.lease.release()
