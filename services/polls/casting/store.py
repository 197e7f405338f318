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
from shared.ledger.service import LogService

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
# PostgreSQL: arrays through unnest, so the text (prepared once) fits every batch size.
_INSERT_ARRAYS = (
    "INSERT INTO participation (id, poll_id, voter_tag, sealed, municipality, age_band, hour) "
    "SELECT * FROM unnest({}::uuid[], {}::varchar[], {}::varchar[], {}::bytea[], "
    "{}::varchar[], {}::varchar[], {}::timestamptz[]) "
    "ON CONFLICT (poll_id, voter_tag) DO NOTHING RETURNING id"
)
_POOL_COLUMNS = "ballot_pool (id, poll_id, lookup, sealed)"
_POOL_ARRAYS = (
    "INSERT INTO ballot_pool (id, poll_id, lookup, sealed) "
    "SELECT * FROM unnest({}::uuid[], {}::varchar[], {}::bytea[], {}::bytea[])"
)
_shuffle = secrets.SystemRandom().shuffle


class CastStore:
    def __init__(self, ledger: LogService, polls: PollStore, *, lock_polls: bool) -> None:
        self._ledger = ledger
        self._polls = polls
        self._lock_polls = lock_polls
        self._sqlite = ledger.on_sqlite

    async def write(self, casts: Sequence[PendingCast]) -> list[WriteOutcome]:
        """Write a batch in ONE transaction and three statements whatever its size: the
        polls' statuses (share-locked), every participation row, every accepted ballot into
        the pool.

        The participation rows go in with ``ON CONFLICT DO NOTHING``: the UNIQUE index
        decides, row by row, so a repeated voter comes back DUPLICATE while the rest of the
        batch is written; only the casts whose row went in get their ballot written.
        """
        # Sorted so two batches touching the same tags lock them in the same order.
        order = sorted(range(len(casts)), key=lambda i: (casts[i].poll_id, casts[i].voter_tag))
        outcomes = [WriteOutcome.POLL_NOT_OPEN] * len(casts)
        async with self._ledger.transaction():
            statuses = await self._polls.open_statuses(
                sorted({c.poll_id for c in casts}), lock=self._lock_polls
            )
            candidates = [i for i in order if statuses.get(casts[i].poll_id) == "open"]
            if not candidates:
                return outcomes
            row_ids = {i: uuid.uuid4() for i in candidates}
            written = await self._insert_participation([(row_ids[i], casts[i]) for i in candidates])
            accepted = [i for i in candidates if str(row_ids[i]) in written]
            # Pool rows in random order. The pool row and the participation row of one cast
            # may still be paired up by a database reader (same transaction); what protects
            # the ballot is that the pool row's seal is opaque and padded and that it leaves
            # the pool only inside a mixed batch.
            _shuffle(accepted)
            await self._insert_pooled([casts[i] for i in accepted])
        taken = set(accepted)
        for i in candidates:
            outcomes[i] = WriteOutcome.ACCEPTED if i in taken else WriteOutcome.DUPLICATE
        return outcomes

    async def _insert_participation(
        self, rows: Sequence[tuple[uuid.UUID, PendingCast]]
    ) -> set[str]:
        """Insert the rows the UNIQUE index lets in (one statement); returns their ids."""
        if not self._sqlite:
            inserted = await Participation.raw(
                _INSERT_ARRAYS,
                [row_id for row_id, _ in rows],
                [c.poll_id for _, c in rows],
                [c.voter_tag for _, c in rows],
                [c.sealed for _, c in rows],
                [c.municipality for _, c in rows],
                [c.age_band for _, c in rows],
                [c.hour for _, c in rows],
            )
            return {str(r["id"]) for r in inserted}
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
        if not casts:
            return
        if not self._sqlite:
            await PooledBallot.raw(
                _POOL_ARRAYS,
                [c.pool_id for c in casts],
                [c.poll_id for c in casts],
                [c.lookup for c in casts],
                [c.pooled for c in casts],
            )
            return
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
