"""Reading and writing poll rows; the only module of the feature that touches its table."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import msgspec
from piccolo.columns import Column
from piccolo.custom_types import Combinable

from services.polls.polls.tables import Poll
from shared.eligibility import Eligibility
from shared.recent_reads import RecentReads
from shared.tally.definition import PollDefinition, decode_definition

__all__ = ("PollRecord", "PollStore", "Status")

Status = str
"""draft, scheduled, open, closed, tallied or cancelled."""

_ACTIVE = ("scheduled", "open", "closed", "tallied", "cancelled")


class PollRecord(msgspec.Struct, kw_only=True):
    """A poll as the domain sees it, its stored JSON already decoded."""

    id: str
    organisation: str
    organisation_territory: tuple[str, ...]
    title: str
    description: str
    kind: str
    definition: PollDefinition
    definition_bytes: bytes
    has_free_text: bool
    eligibility: Eligibility
    opens_at: dt.datetime
    closes_at: dt.datetime
    show_intermediate_results: bool
    anonymity_batch: int
    """k: every ballot is published mixed with at least this many others (casting.mixing)."""
    status: Status
    cancel_reason: str | None
    created_by: str
    created_at: dt.datetime
    updated_at: dt.datetime
    results: bytes | None
    certificate: str | None


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back naive (they were stored as UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _record(row: dict[str, Any]) -> PollRecord:
    definition_bytes = bytes(row["definition"])
    return PollRecord(
        id=row["id"],
        organisation=row["organisation"],
        organisation_territory=tuple(msgspec.json.decode(row["organisation_territory"])),
        title=row["title"],
        description=row["description"],
        kind=row["kind"],
        definition=decode_definition(definition_bytes),
        definition_bytes=definition_bytes,
        has_free_text=bool(row["has_free_text"]),
        eligibility=msgspec.json.decode(row["eligibility"], type=Eligibility),
        opens_at=_aware(row["opens_at"]),
        closes_at=_aware(row["closes_at"]),
        show_intermediate_results=bool(row["show_intermediate_results"]),
        anonymity_batch=int(row["anonymity_batch"]),
        status=row["status"],
        cancel_reason=row["cancel_reason"],
        created_by=row["created_by"],
        created_at=_aware(row["created_at"]),
        updated_at=_aware(row["updated_at"]),
        results=bytes(row["results"]) if row["results"] is not None else None,
        certificate=row["certificate"],
    )


def _row(record: PollRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "organisation": record.organisation,
        "organisation_territory": msgspec.json.encode(record.organisation_territory).decode(),
        "title": record.title,
        "description": record.description,
        "kind": record.kind,
        "definition": record.definition_bytes,
        "has_free_text": record.has_free_text,
        "eligibility": msgspec.json.encode(record.eligibility).decode(),
        "opens_at": record.opens_at,
        "closes_at": record.closes_at,
        "show_intermediate_results": record.show_intermediate_results,
        "anonymity_batch": record.anonymity_batch,
        "status": record.status,
        "cancel_reason": record.cancel_reason,
        "created_by": record.created_by,
        "created_at": record.created_at,
        "updated_at": record.updated_at,
        "results": record.results,
        "certificate": record.certificate,
    }


class PollStore:
    def __init__(self, recent_s: float = 1.0) -> None:
        self._recent: RecentReads[PollRecord] = RecentReads(self.get, recent_s)

    async def insert(self, record: PollRecord) -> None:
        await Poll.insert(Poll(**_row(record)))

    async def get(self, poll_id: str) -> PollRecord | None:
        rows = await Poll.select().where(Poll.id == poll_id)
        return _record(rows[0]) if rows else None

    async def recent(self, poll_id: str) -> PollRecord | None:
        """The poll as read at most ``recent_s`` ago (:mod:`shared.recent_reads`): for
        what citizens open and cast, never for deciding a change."""
        return await self._recent.get(poll_id)

    def forget_recent(self, poll_id: str) -> None:
        """Drop the recent copy (a commit found the poll no longer open)."""
        self._recent.forget(poll_id)

    async def save(self, record: PollRecord) -> None:
        values = _row(record)
        del values["id"]
        await Poll.update({getattr(Poll, k): v for k, v in values.items()}).where(
            Poll.id == record.id
        )
        self._recent.forget(record.id)

    async def save_answer_breakdown(self, poll_id: str, data: bytes) -> None:
        await Poll.update({Poll.answer_breakdown: data}).where(Poll.id == poll_id)

    async def answer_breakdown(self, poll_id: str) -> bytes | None:
        rows = await Poll.select(Poll.answer_breakdown).where(Poll.id == poll_id)
        value = rows[0]["answer_breakdown"] if rows else None
        return bytes(value) if value is not None else None

    async def transition(
        self, poll_id: str, before: Sequence[Status], after: Status, **values: Any
    ) -> bool:
        """Move a poll from one of ``before`` to ``after`` atomically; False if it was not in
        one of those states (another replica or request got there first)."""
        changes: dict[Column | str, Any] = {
            Poll.status: after,
            Poll.updated_at: dt.datetime.now(dt.UTC),
        }
        changes.update({getattr(Poll, k): v for k, v in values.items()})
        rows = await (
            Poll.update(changes)
            .where((Poll.id == poll_id) & Poll.status.is_in(list(before)))
            .returning(Poll.id)
        )
        self._recent.forget(poll_id)
        return bool(rows)

    async def listing(
        self,
        organisations: Sequence[str],
        everyone_active: bool,
        *,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[PollRecord]:
        """Polls of ``organisations`` in any state, plus every non-draft poll if asked; only
        those of ``status`` if given, and the ``limit`` latest to open if given."""
        query = Poll.select()
        where: Combinable | None = (
            Poll.organisation.is_in(list(organisations)) if organisations else None
        )
        if everyone_active:
            active = Poll.status.is_in(list(_ACTIVE))
            where = active if where is None else where | active
        if where is None:
            return []
        if status is not None:
            where = where & (Poll.status == status)
        query = query.where(where).order_by(Poll.opens_at, ascending=False)
        if limit is not None:
            query = query.limit(limit)
        return [_record(r) for r in await query]

    async def due_to_open(self, now: dt.datetime) -> list[str]:
        rows = await Poll.select(Poll.id).where(
            (Poll.status == "scheduled") & (Poll.opens_at <= now)
        )
        return [r["id"] for r in rows]

    async def due_to_close(self, now: dt.datetime) -> list[str]:
        rows = await Poll.select(Poll.id).where(
            (Poll.status.is_in(["open", "closed"])) & (Poll.closes_at <= now)
        )
        return [r["id"] for r in rows]

    async def open_statuses(self, poll_ids: Sequence[str], lock: bool) -> dict[str, Status]:
        """Status of each poll, read inside the caller's transaction.

        With ``lock`` (PostgreSQL) the rows are share-locked, so closing a poll waits for
        casts already committing and no ballot can land after the log was closed.
        """
        placeholders = ", ".join(["{}"] * len(poll_ids))
        suffix = " FOR SHARE" if lock else ""
        rows = await Poll.raw(
            f"SELECT id, status FROM poll WHERE id IN ({placeholders}){suffix}",  # noqa: S608
            *poll_ids,
        )
        return {r["id"]: r["status"] for r in rows}
