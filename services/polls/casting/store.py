"""Writing accepted ballots: participation rows and log entries, many casts per transaction."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from asyncpg.exceptions import UniqueViolationError  # type: ignore[import-untyped]

from services.polls.casting.tables import Participation
from services.polls.polls.store import PollStore
from shared.ledger.service import LogService

__all__ = ("Accepted", "CastStore", "PendingCast", "WriteOutcome", "is_unique_violation")


@dataclass(frozen=True, slots=True)
class PendingCast:
    poll_id: str
    voter_tag: str
    entry: bytes
    """Canonical ballot entry bytes."""
    sealed: bytes
    municipality: str
    age_band: str
    accepted_at: dt.datetime


class WriteOutcome(Enum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    POLL_NOT_OPEN = "poll-not-open"


Accepted = WriteOutcome.ACCEPTED


def is_unique_violation(exc: BaseException) -> bool:
    """A UNIQUE constraint said no, on SQLite or PostgreSQL."""
    if isinstance(exc, UniqueViolationError):
        return True
    return isinstance(exc, sqlite3.IntegrityError) and "UNIQUE" in str(exc)


class CastStore:
    def __init__(self, ledger: LogService, polls: PollStore, *, lock_polls: bool) -> None:
        self._ledger = ledger
        self._polls = polls
        self._lock_polls = lock_polls

    async def write(self, casts: Sequence[PendingCast]) -> list[WriteOutcome]:
        """Write a batch in ONE transaction: participation rows, then log entries.

        A batch that hits the UNIQUE constraint is rolled back whole; the caller retries its
        casts one by one, and then only the repeated cast comes back as DUPLICATE.
        """
        if len(casts) == 1:
            try:
                return await self._write(casts)
            except Exception as exc:
                if is_unique_violation(exc):
                    return [WriteOutcome.DUPLICATE]
                raise
        return await self._write(casts)

    async def _write(self, casts: Sequence[PendingCast]) -> list[WriteOutcome]:
        # Sorted so two batches touching the same tags lock them in the same order.
        order = sorted(range(len(casts)), key=lambda i: (casts[i].poll_id, casts[i].voter_tag))
        outcomes = [WriteOutcome.POLL_NOT_OPEN] * len(casts)
        async with self._ledger.store.transaction():
            statuses = await self._polls.open_statuses(
                sorted({c.poll_id for c in casts}), lock=self._lock_polls
            )
            accepted = [i for i in order if statuses.get(casts[i].poll_id) == "open"]
            if not accepted:
                return outcomes
            await Participation.insert(
                *(
                    Participation(
                        poll_id=casts[i].poll_id,
                        voter_tag=casts[i].voter_tag,
                        sealed=casts[i].sealed,
                        municipality=casts[i].municipality,
                        age_band=casts[i].age_band,
                    )
                    for i in accepted
                )
            )
            for i in accepted:
                cast = casts[i]
                await self._ledger.append(cast.poll_id, cast.entry, cast.accepted_at)
                outcomes[i] = WriteOutcome.ACCEPTED
        return outcomes

    async def sealed_receipt(self, poll_id: str, voter_tag: str) -> bytes | None:
        rows = await Participation.select(Participation.sealed).where(
            (Participation.poll_id == poll_id) & (Participation.voter_tag == voter_tag)
        )
        return bytes(rows[0]["sealed"]) if rows else None
