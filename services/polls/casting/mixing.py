"""Mixing: pooled ballots enter a poll's log only in batches of at least its anonymity batch.

The rule (SECRECY.md), for a poll with anonymity batch ``k`` whose pool holds ``p`` ballots:

* while the poll is open, nothing moves until ``p >= 2k``; then all but ``k`` uniformly random
  ballots move (``p - k``, at least ``k``), so exactly ``k`` stay behind and the pool never
  falls below ``k`` once it has reached it. Keeping ``k`` back, rather than half the pool,
  gives every batch the same floor of ``k``, while under load a ballot waits about one round
  instead of a geometric number of them (half the pool stayed behind each round: seven rounds
  for one ballot in a hundred);
* once the poll is closed (or cancelled), everything left moves: at least ``k`` ballots, unless
  the whole poll had fewer.

Every batch is one transaction: its pool rows are deleted and its ballots inserted into the
log together (a crash leaves them all in the pool), sorted by leaf hash so neither the log's
order nor the rows' physical order says anything of arrival; the integrator then gives the
batch its leaf indices and one checkpoint. The batch's log rows carry the minute of the batch,
not of any cast. Whoever sees the pool before and after a batch learns which pool rows went
into which batch, and nothing finer: every ballot's anonymity set is at least its batch.

Only the integrator's lease holder mixes (a round calls :meth:`Mixer.feed` first). On
PostgreSQL a transaction-scoped advisory lock per poll keeps a stale holder and a new one from
splitting one batch between them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence

import asyncpg
import structlog

from services.polls.casting.pooling import code_lookup, open_pooled
from services.polls.casting.tables import PooledBallot
from services.polls.service_secret import ServiceSecret
from shared.log.integrator import MAX_BATCH, Held
from shared.log.merkle import leaf_hash
from shared.log.service import LogService
from shared.metrics import POOLED_BALLOTS

__all__ = ("Mixer", "batch_size")

_MIXING = ("open",)
"""Statuses in which the pool keeps at least k back; any later status flushes it."""
_FLUSHING = ("closed", "tallied", "cancelled")
_SQLITE_IDS = 500
VACUUM_AFTER = 5_000
"""Pool rows the mixer deletes between two VACUUMs of the pool (PostgreSQL).

The pool is a queue: every accepted ballot is inserted once and deleted once. Until a VACUUM
the deleted rows stay in the table and its index, and the mixer's reads of the pool (a bitmap
scan that visits every dead index entry and heap page) grow with everything mixed since: 2.6 ms
per read after 70,000 ballots, 0.02 ms after a VACUUM. Autovacuum visits a table at most once
a minute (``autovacuum_naptime``), which at full load is over 100,000 ballots."""

_log = structlog.get_logger("vmeste.polls.mixing")


def batch_size(pooled: int, k: int, *, closing: bool) -> int:
    """How many of ``pooled`` ballots move now (0: none).

    At most :data:`MAX_BATCH`, so the integrator takes a batch whole into one checkpoint, or
    ``2k`` if that is more (an anonymity batch above half of it): a cap below ``2k`` could cut
    a batch, or what it leaves for the next round, below ``k``. Such a batch then spans
    several checkpoints, split by leaf hash, which says nothing of arrival. A pool too large
    for one batch at close leaves at least ``k`` for the next round, so no batch is ever
    smaller than ``k``.
    """
    most = max(MAX_BATCH, 2 * k)
    if closing:
        return pooled if pooled <= most else min(most, pooled - k)
    if pooled >= 2 * k:
        return min(pooled - k, most)
    return 0


class Mixer:
    """The polls' :class:`~shared.log.integrator.Feeder`."""

    def __init__(self, logs: LogService, secret: ServiceSecret, *, service: str = "polls"):
        self._logs = logs
        self._secret = secret
        self._service = service
        self._sqlite = logs.on_sqlite
        self._random = secrets.SystemRandom()
        self._deleted_since_vacuum = 0

    async def feed(self) -> None:
        rows = await PooledBallot.raw(
            "SELECT b.poll_id AS poll_id, COUNT(*) AS n, p.anonymity_batch AS k, "
            "p.status AS status FROM ballot_pool b JOIN poll p ON p.id = b.poll_id "
            "GROUP BY b.poll_id, p.anonymity_batch, p.status"
        )
        POOLED_BALLOTS.labels(self._service).set(sum(int(r["n"]) for r in rows))
        for row in rows:
            status = str(row["status"])
            if status not in _MIXING and status not in _FLUSHING:
                continue
            closing = status in _FLUSHING
            if batch_size(int(row["n"]), int(row["k"]), closing=closing) == 0:
                continue
            if await self._logs.has_pending(str(row["poll_id"])):
                continue  # one batch at a time: the last one gets its own checkpoint first
            await self.mix(str(row["poll_id"]), int(row["k"]), closing=closing)
        if self._deleted_since_vacuum >= VACUUM_AFTER:
            await self._vacuum()

    async def _vacuum(self) -> None:
        """Give the pool's dead rows back (outside any transaction, as VACUUM must run).
        SKIP_LOCKED: a VACUUM already running elsewhere does the same, so none waits."""
        self._deleted_since_vacuum = 0
        try:
            await PooledBallot.raw("VACUUM (SKIP_LOCKED) ballot_pool")
        except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError) as exc:
            # Upkeep: a failure (a role that does not own the table, say) must not stop mixing.
            _log.warning("the pool was not vacuumed", error=str(exc))

    async def waiting(self, log_id: str) -> int:
        return int(await PooledBallot.count().where(PooledBallot.poll_id == log_id))

    async def pooled_entries(self, poll_id: str) -> list[bytes]:
        """Every ballot of the poll still in the pool, unsealed (drills and audits of "nothing
        accepted is lost"; it needs the service secret, like the mixer itself)."""
        rows = await PooledBallot.select(PooledBallot.id, PooledBallot.sealed).where(
            PooledBallot.poll_id == poll_id
        )
        return [
            open_pooled(self._secret, poll_id, _uuid(r["id"]), bytes(r["sealed"])) for r in rows
        ]

    async def find(self, log_id: str, tracking_code: str) -> Held | None:
        """The pool's state if the ballot with this tracking code waits in it."""
        lookup = code_lookup(self._secret, log_id, tracking_code)
        found = await PooledBallot.exists().where(
            (PooledBallot.poll_id == log_id) & (PooledBallot.lookup == lookup)
        )
        if not found:
            return None
        rows = await PooledBallot.raw("SELECT anonymity_batch AS k FROM poll WHERE id = {}", log_id)
        return Held(waiting=await self.waiting(log_id), batch=int(rows[0]["k"]))

    async def mix(self, poll_id: str, k: int, *, closing: bool) -> list[bytes]:
        """Move one batch of the poll's pool into its log (one transaction); returns the leaf
        hashes moved, in log order."""
        async with self._logs.transaction():
            if not self._sqlite:
                await PooledBallot.raw(
                    "SELECT pg_advisory_xact_lock(hashtext({}))", f"ballot-pool:{poll_id}"
                )
            ids = [
                r["id"]
                for r in await PooledBallot.select(PooledBallot.id).where(
                    PooledBallot.poll_id == poll_id
                )
            ]
            take = batch_size(len(ids), k, closing=closing)
            if take == 0:
                return []
            chosen = self._random.sample(ids, take)
            taken = await self._take(chosen)
            if not self._sqlite:  # SQLite reuses a deleted row's space without help
                self._deleted_since_vacuum += len(taken)
            hashed = sorted(
                (leaf_hash(entry), entry)
                for entry in (
                    open_pooled(self._secret, poll_id, _uuid(row_id), sealed)
                    for row_id, sealed in taken
                )
            )
            minute = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
            await self._logs.append_hashed(poll_id, hashed, minute)
            return [digest for digest, _ in hashed]

    async def _take(self, ids: Sequence[object]) -> list[tuple[object, bytes]]:
        """Delete these pool rows, returning (id, sealed) of those this transaction deleted."""
        if not self._sqlite:
            rows = await PooledBallot.raw(
                "DELETE FROM ballot_pool WHERE id = ANY({}::uuid[]) RETURNING id, sealed",
                list(ids),
            )
            return [(r["id"], bytes(r["sealed"])) for r in rows]
        taken: list[tuple[object, bytes]] = []
        for start in range(0, len(ids), _SQLITE_IDS):
            part = ids[start : start + _SQLITE_IDS]
            marks = ", ".join(["{}"] * len(part))
            rows = await PooledBallot.raw(
                f"DELETE FROM ballot_pool WHERE id IN ({marks}) RETURNING id, sealed",  # noqa: S608 - placeholders
                *part,
            )
            taken += [(r["id"], bytes(r["sealed"])) for r in rows]
        return taken


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
