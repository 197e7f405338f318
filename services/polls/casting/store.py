"""Writing accepted ballots: participation rows and pooled ballots, many casts per transaction.

Ballots do not go into the log here: they wait, sealed, in the pool until the mixer moves them
into the log in batches (:mod:`services.polls.casting.mixing`).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from services.polls.casting.tables import Participation, PooledBallot
from services.polls.polls.store import PollStore
from shared.log.service import LogService

__all__ = ("CastStore", "PendingCast", "WriteOutcome")


@dataclass(frozen=True, slots=True)
class PendingCast:
    poll_id: str
    voter_tag: str
    sealed: bytes
    """The participation row's sealed receipt details (casting.sealing)."""
    pool_id: uuid.UUID
    pooled: bytes
    """The ballot, sealed and padded for the pool (casting.pooling)."""
    lookup: bytes
    """Keyed hash of the ballot's tracking code."""
    municipality: str
    age_band: str
    hour: dt.datetime


class WriteOutcome(Enum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    POLL_NOT_OPEN = "poll-not-open"


# Rows per multi-row INSERT on SQLite: 7 parameters each, far under its bound-parameter limit.
_SQLITE_ROWS = 500
_COLUMNS = "participation (id, poll_id, voter_tag, sealed, municipality, age_band, hour)"
# The UNIQUE index decides row by row: a voter already in is skipped, the others go in.
_UNLESS_VOTED = "ON CONFLICT (poll_id, voter_tag) DO NOTHING RETURNING id"
_POOL_COLUMNS = "ballot_pool (id, poll_id, lookup, sealed)"
_shuffle = secrets.SystemRandom().shuffle


# PostgreSQL: the whole group commit as ONE statement (one round trip, no BEGIN/COMMIT of
# its own; a statement is atomic). Arrays through unnest, so the text (prepared once) fits
# every batch size.
# * ``open_polls`` share-locks the batch's polls that are open, in id order. A poll being
#   closed holds its row's update lock until its transaction ends: the FOR SHARE waits for it
#   and re-reads the row, now closed, so the poll drops out and its casts come back
#   POLL_NOT_OPEN; a close that starts later waits for this statement's commit. So no ballot
#   lands after a poll's close, as with the separate SELECT ... FOR SHARE before.
# * ``written``: participation rows of open polls only, in the order given (sorted by poll and
#   tag, so two batches take the unique index's entries in the same order); the UNIQUE index
#   decides row by row and RETURNING names the rows that went in.
# * ``pooled``: a pool row for every candidate (in their own, shuffled order), inserted only
#   if its participation row went in; ORDER BY keeps the shuffled order whatever join the
#   planner picks.
# A data-modifying CTE runs to completion whether or not the final SELECT reads it.
_WRITE_ONE_STATEMENT = (
    "WITH cast_rows AS ("
    " SELECT * FROM unnest({}::uuid[], {}::varchar[], {}::varchar[], {}::bytea[],"
    " {}::varchar[], {}::varchar[], {}::timestamptz[]) WITH ORDINALITY"
    " AS c(id, poll_id, voter_tag, sealed, municipality, age_band, hour, n)),"
    " open_polls AS ("
    " SELECT id FROM poll WHERE id = ANY({}::varchar[]) AND status = 'open' ORDER BY id%s),"
    " written AS ("
    " INSERT INTO participation (id, poll_id, voter_tag, sealed, municipality, age_band, hour)"
    " SELECT c.id, c.poll_id, c.voter_tag, c.sealed, c.municipality, c.age_band, c.hour"
    " FROM cast_rows c JOIN open_polls o ON o.id = c.poll_id ORDER BY c.n"
    " ON CONFLICT (poll_id, voter_tag) DO NOTHING RETURNING id),"
    " pooled AS ("
    " INSERT INTO ballot_pool (id, poll_id, lookup, sealed)"
    " SELECT p.id, p.poll_id, p.lookup, p.sealed"
    " FROM unnest({}::uuid[], {}::uuid[], {}::varchar[], {}::bytea[], {}::bytea[])"
    " WITH ORDINALITY AS p(participation_id, id, poll_id, lookup, sealed, n)"
    " JOIN written w ON w.id = p.participation_id ORDER BY p.n)"
    " SELECT (SELECT array_agg(id) FROM open_polls) AS open,"
    " (SELECT array_agg(id) FROM written) AS written"
)


class CastStore:
    def __init__(self, logs: LogService, polls: PollStore, *, lock_polls: bool) -> None:
        self._logs = logs
        self._polls = polls
        self._lock_polls = lock_polls
        self._sqlite = logs.on_sqlite
        self._write_statement = _WRITE_ONE_STATEMENT % (" FOR SHARE" if lock_polls else "")

    async def write(self, casts: Sequence[PendingCast]) -> list[WriteOutcome]:
        """Write a batch atomically whatever its size: the polls' statuses (share-locked),
        every participation row, every accepted ballot into the pool. One statement on
        PostgreSQL; one transaction of three statements on SQLite.

        The participation rows go in with ``ON CONFLICT DO NOTHING``: the UNIQUE index
        decides, row by row, so a repeated voter comes back DUPLICATE while the rest of the
        batch is written; only the casts whose row went in get their ballot written.
        """
        # Sorted so two batches touching the same tags lock them in the same order.
        order = sorted(range(len(casts)), key=lambda i: (casts[i].poll_id, casts[i].voter_tag))
        row_ids = [uuid.uuid4() for _ in casts]
        if self._sqlite:
            opened, accepted = await self._write_sqlite(casts, order, row_ids)
        else:
            opened, accepted = await self._write_postgres(casts, order, row_ids)
        return [
            WriteOutcome.POLL_NOT_OPEN
            if c.poll_id not in opened
            else WriteOutcome.ACCEPTED
            if i in accepted
            else WriteOutcome.DUPLICATE
            for i, c in enumerate(casts)
        ]

    async def _write_postgres(
        self, casts: Sequence[PendingCast], order: list[int], row_ids: list[uuid.UUID]
    ) -> tuple[set[str], set[int]]:
        # Pool rows in random order, not the participation rows' (see _write_sqlite).
        pool_order = list(order)
        _shuffle(pool_order)
        sorted_casts = [casts[i] for i in order]
        pool_casts = [casts[i] for i in pool_order]
        (row,) = await Participation.raw(
            self._write_statement,
            [row_ids[i] for i in order],
            [c.poll_id for c in sorted_casts],
            [c.voter_tag for c in sorted_casts],
            [c.sealed for c in sorted_casts],
            [c.municipality for c in sorted_casts],
            [c.age_band for c in sorted_casts],
            [c.hour for c in sorted_casts],
            sorted({c.poll_id for c in casts}),
            [row_ids[i] for i in pool_order],
            [c.pool_id for c in pool_casts],
            [c.poll_id for c in pool_casts],
            [c.lookup for c in pool_casts],
            [c.pooled for c in pool_casts],
        )
        written = {str(row_id) for row_id in row["written"] or ()}
        return set(row["open"] or ()), {i for i in order if str(row_ids[i]) in written}

    async def _write_sqlite(
        self, casts: Sequence[PendingCast], order: list[int], row_ids: list[uuid.UUID]
    ) -> tuple[set[str], set[int]]:
        """The status read, the participation rows and the pool rows: three statements in
        one (immediate, so already write-locked) transaction."""
        async with self._logs.transaction():
            statuses = await self._polls.open_statuses(
                sorted({c.poll_id for c in casts}), lock=self._lock_polls
            )
            opened = {poll_id for poll_id, status in statuses.items() if status == "open"}
            candidates = [i for i in order if casts[i].poll_id in opened]
            if not candidates:
                return opened, set()
            written = await self._insert_participation([(row_ids[i], casts[i]) for i in candidates])
            accepted = [i for i in candidates if str(row_ids[i]) in written]
            # Pool rows in random order. The pool row and the participation row of one cast
            # may still be paired up by a database reader (same transaction); what protects
            # the ballot is that the pool row's seal is opaque and padded and that it leaves
            # the pool only inside a mixed batch.
            _shuffle(accepted)
            await self._insert_pooled([casts[i] for i in accepted])
        return opened, set(accepted)

    async def _insert_participation(
        self, rows: Sequence[tuple[uuid.UUID, PendingCast]]
    ) -> set[str]:
        """Insert the rows the UNIQUE index lets in (SQLite); returns their ids."""
        written: set[str] = set()
        for start in range(0, len(rows), _SQLITE_ROWS):
            part = rows[start : start + _SQLITE_ROWS]
            values = ", ".join(["({}, {}, {}, {}, {}, {}, {})"] * len(part))
            inserted = await Participation.raw(
                f"INSERT INTO {_COLUMNS} VALUES {values} {_UNLESS_VOTED}",  # noqa: S608 - placeholders
                *(
                    value
                    for row_id, c in part
                    for value in (
                        row_id,
                        c.poll_id,
                        c.voter_tag,
                        c.sealed,
                        c.municipality,
                        c.age_band,
                        c.hour,
                    )
                ),
            )
            written.update(str(r["id"]) for r in inserted)
        return written

    async def _insert_pooled(self, casts: Sequence[PendingCast]) -> None:
        for start in range(0, len(casts), _SQLITE_ROWS):
            part = casts[start : start + _SQLITE_ROWS]
            values = ", ".join(["({}, {}, {}, {})"] * len(part))
            await PooledBallot.raw(
                f"INSERT INTO {_POOL_COLUMNS} VALUES {values}",  # noqa: S608 - placeholders
                *(value for c in part for value in (c.pool_id, c.poll_id, c.lookup, c.pooled)),
            )

    async def sealed_receipt(self, poll_id: str, voter_tag: str) -> bytes | None:
        """The voter's sealed receipt details; None if they have none (or no longer)."""
        rows = await Participation.select(Participation.sealed).where(
            (Participation.poll_id == poll_id) & (Participation.voter_tag == voter_tag)
        )
        return (bytes(rows[0]["sealed"]) or None) if rows else None

    async def forget_receipts(self, poll_id: str) -> None:
        """Erase the sealed receipt details of a tallied poll's voters.

        They exist only to answer a repeated vote with its tracking code; once nobody can vote
        they would only let whoever holds the service secret link voters to ballots in a
        database dump (or any later backup).
        """
        await Participation.update({Participation.sealed: b""}).where(
            Participation.poll_id == poll_id
        )
