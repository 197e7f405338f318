"""Amortising round trips: concurrent casts share one Redis script call and one commit.

Both batchers follow the group-commit pattern: the first caller starts a drain task; callers
that arrive while a round trip is in flight queue up and go together in the next one. Under
no load a cast waits for nothing but its own round trip; under load the batch grows by itself.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.redis import Scripts

__all__ = ("AdaptiveLinger", "GateAnswer", "GroupCommitter", "RedisGate")

_log = structlog.get_logger("vmeste.polls.casting")

Item = TypeVar("Item")
Outcome = TypeVar("Outcome")


@dataclass(frozen=True, slots=True)
class GateAnswer:
    claimed: bool | None
    """True: first time seen; False: already taken; None: Redis did not answer (or the caster
    was signed out, when nothing was claimed)."""
    revocation: tuple[bool, bool] | None
    """(revocation set loaded, the caster's session listed as signed out), or None if Redis
    did not answer: what :meth:`shared.identity.session_store.SessionStore.revoked_given` takes."""


_NO_ANSWER = GateAnswer(None, None)


class RedisGate:
    """``SET NX`` on voter tags, many per script call; Redis is only the fast path.

    The same script call reads whether each caster's session was signed out, and leaves a
    signed-out caster's gate alone: one round trip per batch answers both. ``claim`` answers
    with both (:class:`GateAnswer`). After a failure Redis is left alone for ``cooldown_s``,
    so a dead Redis costs casts nothing but a clock read.
    """

    def __init__(
        self, redis: Redis, scripts: Scripts, *, max_batch: int = 512, cooldown_s: float = 1.0
    ) -> None:
        self._redis = redis
        self._scripts = scripts
        self._max_batch = max_batch
        self._cooldown_s = cooldown_s
        self._down_until = 0.0
        self._pending: list[tuple[str, int, str, str, asyncio.Future[GateAnswer]]] = []
        self._drain: asyncio.Task[None] | None = None

    async def claim(self, key: str, expire_at: int, revocation_keys: tuple[str, str]) -> GateAnswer:
        """Claim ``key`` until ``expire_at`` (Unix seconds; one time for every key of a poll,
        so a key's remaining TTL does not date the cast), unless the session named by
        ``revocation_keys`` (marker, session key) was signed out."""
        if time.monotonic() < self._down_until:
            return _NO_ANSWER
        future: asyncio.Future[GateAnswer] = asyncio.get_running_loop().create_future()
        marker, revoked = revocation_keys
        self._pending.append((key, expire_at, marker, revoked, future))
        if self._drain is None:
            self._drain = asyncio.create_task(self._run(), name="redis-gate")
        return await future

    async def release(self, key: str) -> None:
        """Undo a claim whose cast failed, so the voter may try again (best effort)."""
        if time.monotonic() < self._down_until:
            return
        try:
            await self._redis.delete(key)
        except (RedisError, OSError):
            self._down_until = time.monotonic() + self._cooldown_s

    async def _run(self) -> None:
        try:
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                answers: Sequence[GateAnswer]
                try:
                    # One marker for the batch: every caster's marker is the same key.
                    keys = [batch[0][2]]
                    for key, _, _, revoked, _ in batch:
                        keys += [key, revoked]
                    loaded, *raw = await self._scripts.gate_many(
                        keys=keys, args=[at for _, at, _, _, _ in batch]
                    )
                    answers = [
                        GateAnswer(None, (bool(loaded), True))
                        if int(r) == 2
                        else GateAnswer(bool(r), (bool(loaded), False))
                        for r in raw
                    ]
                except (RedisError, OSError) as exc:
                    self._down_until = time.monotonic() + self._cooldown_s
                    _log.warning("redis gate unavailable; the database gates alone", error=str(exc))
                    answers = [_NO_ANSWER] * len(batch)
                for (_, _, _, _, future), answer in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self._drain = None


class AdaptiveLinger:
    """How long a commit waits for the casts right behind it: about two arrival gaps.

    The mean gap between arrivals is a moving average; lingering is worth it only while more
    casts are expected within ``max_s``, so an idle service (a long gap pulls the average far
    above ``max_s``) commits a lone cast at once, and a busy one waits about long enough for
    two more to join, never more than ``max_s``.
    """

    _WEIGHT = 0.2
    """Share of the newest gap in the average: a burst after a quiet spell is seen within a
    few arrivals."""
    _GAPS = 2.0

    def __init__(self, max_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._max_s = max_s
        self._clock = clock
        self._last: float | None = None
        self._mean_gap = float("inf")

    def arrived(self) -> None:
        now = self._clock()
        if self._last is not None:
            gap = now - self._last
            if self._mean_gap == float("inf"):
                self._mean_gap = gap
            else:
                self._mean_gap += self._WEIGHT * (gap - self._mean_gap)
        self._last = now

    def delay(self) -> float:
        """Seconds to wait before committing what is pending (0: commit now)."""
        if self._mean_gap >= self._max_s:
            return 0.0
        return min(self._max_s, self._GAPS * self._mean_gap)


class GroupCommitter(Generic[Item, Outcome]):
    """Collects concurrent items and hands them to ``write`` in one call (one transaction).

    ``write`` returns one outcome per item, in order. If it raises, each item of the batch is
    written alone, so one bad item (or a deadlock between batches) fails only itself.
    A commit starting after a pause lingers up to ``linger_s`` (:class:`AdaptiveLinger`) so
    that the casts just behind it join; while commits follow each other, the ones that
    arrive during a commit go together in the next.
    """

    def __init__(
        self,
        write: Callable[[Sequence[Item]], Awaitable[Sequence[Outcome]]],
        *,
        max_batch: int = 256,
        linger_s: float = 0.002,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._max_batch = max_batch
        self._linger = AdaptiveLinger(linger_s, clock)
        self._pending: list[tuple[Item, asyncio.Future[Outcome]]] = []
        self._drain: asyncio.Task[None] | None = None
        self.batches = 0

    async def submit(self, item: Item) -> Outcome:
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._linger.arrived()
        self._pending.append((item, future))
        if self._drain is None:
            self._drain = asyncio.create_task(self._run(), name="group-commit")
        return await future

    async def _run(self) -> None:
        try:
            linger = self._linger.delay()
            if linger:
                # Let the casts that are expected right behind this one join its commit.
                await asyncio.sleep(linger)
            while self._pending:
                batch = self._pending[: self._max_batch]
                del self._pending[: self._max_batch]
                await self._commit(batch)
        finally:
            self._drain = None

    async def _commit(self, batch: list[tuple[Item, asyncio.Future[Outcome]]]) -> None:
        self.batches += 1
        items = [item for item, _ in batch]
        try:
            outcomes = await self._write(items)
        except Exception as exc:
            if len(batch) == 1:
                _fail(batch[0][1], exc)
                return
            for item, future in batch:
                try:
                    (outcome,) = await self._write([item])
                except Exception as single:
                    _fail(future, single)
                else:
                    _resolve(future, outcome)
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            _resolve(future, outcome)


def _resolve(future: asyncio.Future[Outcome], outcome: Outcome) -> None:
    if not future.done():
        future.set_result(outcome)


def _fail(future: asyncio.Future[Outcome], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
