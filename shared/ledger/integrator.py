"""The single integrator of a service's logs: leaf indices, tree nodes, signed checkpoints.

Exactly one replica integrates at a time (a database lease); the others stand by and take
over within the lease's time to live if the holder dies. Each round first lets the service's
feeder, if any, hand over what is ready (the polls' mixer moves pooled ballots into their logs
in mixed batches); then every log with new entries gets one new signed checkpoint.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import structlog

from shared.lease import Lease
from shared.ledger.store import Head, LedgerStore
from shared.periodic import run_periodically

__all__ = ("MAX_BATCH", "CheckpointSigner", "Feeder", "Held", "Integrator", "RoundObserver")

CheckpointSigner = Callable[[str, Head], str]
"""Given a log id and its new head, return the signed checkpoint note."""

MAX_BATCH = 50_000
"""Entries one round integrates per log: 100,000 a second at two rounds a second."""

RoundObserver = Callable[[float, list[tuple[str, Head]], int], None]
"""Told after each round of the lease holder: when it started (monotonic), the checkpoints
it signed, and how many entries it integrated."""

_log = structlog.get_logger("vmeste.integrator")


@dataclass(frozen=True, slots=True)
class Held:
    """What may be said of an accepted entry a feeder still holds back."""

    waiting: int
    """Entries of its log held back now."""
    batch: int
    """The fewest entries it will enter the log together with."""


class Feeder(Protocol):
    """Holds accepted entries back from the logs until they may be published."""

    async def feed(self) -> dict[str, list[bytes]]:
        """Hand over what is ready as pending log entries; returns their leaf hashes per log.
        Called once per round, only by the lease holder."""
        ...  # pragma: no cover - protocol

    async def waiting(self, log_id: str) -> int:
        """Accepted entries of the log not yet handed over."""
        ...  # pragma: no cover - protocol

    async def find(self, log_id: str, tracking_code: str) -> Held | None:
        """The held-back entry with this (canonical) tracking code, if there is one."""
        ...  # pragma: no cover - protocol


class Integrator:
    def __init__(
        self,
        store: LedgerStore,
        lease: Lease,
        sign: CheckpointSigner,
        interval_s: float = 0.25,
        observe: RoundObserver | None = None,
        feeder: Feeder | None = None,
        busy_interval_s: float = 0.05,
    ) -> None:
        self.store = store
        self.lease = lease
        self.sign = sign
        self.interval_s = interval_s
        self.observe = observe
        self.feeder = feeder
        self.busy_interval_s = min(busy_interval_s, interval_s)
        self.holding = False
        self._round_s = 0.0
        self.fed: dict[str, list[bytes]] = {}
        """What the feeder handed over in the latest round (leaf hashes per log)."""

    async def run_once(self) -> list[tuple[str, Head]]:
        """One round: integrate every log with pending entries, if this replica holds the
        lease. Returns the (log, new head) pairs it checkpointed."""
        self.holding = await self.lease.acquire()
        if not self.holding:
            return []
        started = time.monotonic()
        self.fed = await self.feeder.feed() if self.feeder is not None else {}
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
        self._round_s = time.monotonic() - started
        return advanced

    async def run(self, stop: asyncio.Event) -> None:
        """Integrate until ``stop`` is set, surviving database hiccups; releases the lease."""
        await run_periodically(
            self.run_once,
            self.interval_s,
            stop,
            "integration round",
            self._release,
            pause=self._pause,
        )

    def _pause(self) -> float:
        # A round whose feeder handed over a batch may have left another one ready (a pool
        # under load holds far more than its batch): the next round comes sooner than the
        # full interval, so ballots do not wait a whole interval per batch. Never sooner than
        # ``busy_interval_s`` nor than the last round took, so rounds take at most about half
        # of the replica's time away from serving. The feeder's own rule decides whether a
        # batch is ready, so a quiet pool falls back to the interval after one short round.
        if not (self.holding and self.fed):
            return self.interval_s
        return min(self.interval_s, max(self.busy_interval_s, self._round_s))

    async def _release(self) -> None:
        if self.holding:
            await self.lease.release()
