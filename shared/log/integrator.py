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
from shared.log.store import Head, LogStore
from shared.periodic import run_periodically

__all__ = ("MAX_BATCH", "CheckpointSigner", "Feeder", "Held", "Integrator", "RoundObserver")

CheckpointSigner = Callable[[str, Head], str]
"""Given a log id and its new head, return the signed checkpoint note."""

MAX_BATCH = 50_000
"""Entries one round integrates per log: 100,000 a second at two rounds a second."""

RoundObserver = Callable[[float, list[tuple[str, Head]], list[bytes]], None]
"""Told after each round of the lease holder: when it started (monotonic), the checkpoints
it signed, and the leaf hashes of the entries it integrated."""

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

    async def feed(self) -> None:
        """Hand over what is ready as pending log entries. Called once per round, only by
        the lease holder."""
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
        store: LogStore,
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
        self._busy_interval_s = min(busy_interval_s, interval_s)
        self.holding = False
        # The lease keeps other replicas out, not this one's own callers: the background loop
        # and integrate_now (a close, a cancel, a report) would otherwise build the same tree
        # nodes at once and one of them fail on their unique index.
        self._round = asyncio.Lock()

    async def run_once(self) -> list[tuple[str, Head]]:
        """One round: integrate every log with pending entries, if this replica holds the
        lease. Returns the (log, new head) pairs it checkpointed. Rounds of one replica run
        one at a time."""
        async with self._round:
            return await self._round_once()

    async def _round_once(self) -> list[tuple[str, Head]]:
        self.holding = await self.lease.acquire()
        if not self.holding:
            return []
        started = time.monotonic()
        if self.feeder is not None:
            await self.feeder.feed()
        advanced: list[tuple[str, Head]] = []
        integrated: list[bytes] = []
        for log_id in await self.store.pending_logs():
            # One batch and one checkpoint per log and round: under a steady stream a round
            # that chased every new arrival would never get to sign.
            batch = await self.store.integrate_batch(log_id, max_batch=MAX_BATCH)
            if batch is not None:
                head, leaves = batch
                note = self.sign(log_id, head)
                await self.store.save_checkpoint(log_id, head, note, dt.datetime.now(dt.UTC))
                advanced.append((log_id, head))
                integrated += leaves
        if self.observe is not None:
            self.observe(started, advanced, integrated)
        return advanced

    async def run(self, stop: asyncio.Event) -> None:
        """Integrate until ``stop`` is set, surviving database hiccups; releases the lease.

        With a feeder, a round that checkpointed what the feeder handed over is followed
        sooner than ``interval_s`` (:class:`_BusyRounds`)."""
        busy = _BusyRounds(self, busy_interval_s=self._busy_interval_s)
        await run_periodically(
            busy.round, self.interval_s, stop, "integration round", self._release, pause=busy.pause
        )

    async def _release(self) -> None:
        if self.holding:
            await self.lease.release()


class _BusyRounds:
    """The pace of an integrator's rounds while its feeder has batches ready.

    A feeder holds entries back and hands over one batch a round (the polls' mixer: all of a
    pool of at least 2k but k random ones), so under load a ballot waits a round or two: at
    one round per interval that is up to half a second more than it needs to. A round that
    checkpointed something while a feeder is set is followed after ``busy_interval_s``
    instead, and never sooner than that round took, so rounds take at most about half of the
    lease holder's time away from serving; the feeder's own rule still decides what is
    ready, so a quiet pool falls back to the interval after one short round.
    """

    def __init__(self, integrator: Integrator, *, busy_interval_s: float) -> None:
        self._integrator = integrator
        self._busy_interval_s = busy_interval_s
        self._busy = False
        self._took_s = 0.0

    async def round(self) -> None:
        self._busy = False
        started = time.monotonic()
        advanced = await self._integrator.run_once()
        self._took_s = time.monotonic() - started
        self._busy = bool(advanced) and self._integrator.feeder is not None

    def pause(self) -> float:
        interval = self._integrator.interval_s
        if not self._busy:
            return interval
        return min(interval, max(self._busy_interval_s, self._took_s))
