"""Comment periods: schedule, states, extensions, and the clock that opens and closes them.

States go ``draft → announced → open → closed → report_published``. Only the scheduler
opens and closes (at the announced times); people announce, extend and publish the report.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
import uuid
from collections.abc import Sequence
from enum import StrEnum

import msgspec

from services.discussions.db import write_transaction
from services.discussions.drafts.domain import DraftsService
from services.discussions.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    UnprocessableError,
)
from services.discussions.pagination import Page, decode_cursor, encode_cursor
from services.discussions.periods.tables import Period, PeriodExtension
from shared.eligibility import (
    Eligibility,
    Ineligible,
    Participant,
    check_eligibility,
    territory_issues,
)
from shared.ledger.service import LogService

__all__ = (
    "MAX_EXTENSIONS",
    "MAX_REASON",
    "MIN_REASON",
    "ExtensionView",
    "PeriodStatus",
    "PeriodView",
    "PeriodsService",
    "for_viewer",
)

MAX_EXTENSIONS = 20
"""Extensions one period may have: its public log of extensions is one short, unpaged list."""
MIN_REASON, MAX_REASON = 3, 2000
"""Characters of an extension's reason, which the public log of extensions shows."""


class PeriodStatus(StrEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"
    OPEN = "open"
    CLOSED = "closed"
    REPORT_PUBLISHED = "report_published"


class PeriodView(msgspec.Struct, kw_only=True):
    id: str
    draft: uuid.UUID
    organisation: str
    status: PeriodStatus
    starts_at: dt.datetime
    ends_at: dt.datetime
    eligibility: Eligibility
    comment_count: int
    created_at: dt.datetime
    opened_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    report_published_at: dt.datetime | None = None
    closed_roll: bool = False
    """Only the people on a closed roll may comment. The roll itself (``eligibility.roll``)
    is shown only to the officials who manage the period; everyone else gets null there."""


class ExtensionView(msgspec.Struct, kw_only=True):
    previous_end: dt.datetime
    new_end: dt.datetime
    reason: str
    decided_at: dt.datetime


_VIEW_FIELDS = [
    Period.id,
    Period.draft,
    Period.organisation,
    Period.status,
    Period.starts_at,
    Period.ends_at,
    Period.eligibility,
    Period.comment_count,
    Period.created_at,
    Period.opened_at,
    Period.closed_at,
    Period.report_published_at,
]


def _view(row: dict[str, object]) -> PeriodView:
    data = dict(row)
    eligibility = msgspec.json.decode(str(data["eligibility"]), type=Eligibility)
    data["eligibility"] = eligibility
    data["closed_roll"] = eligibility.roll is not None
    return msgspec.convert(data, PeriodView)


def for_viewer(view: PeriodView, managed: Sequence[str]) -> PeriodView:
    """``view`` as someone who manages the organisations ``managed`` may see it: a closed
    roll says who may comment, which is only its organisation's officials' business."""
    if view.organisation in managed or view.eligibility.roll is None:
        return view
    eligibility = msgspec.structs.replace(view.eligibility, roll=None)
    return msgspec.structs.replace(view, eligibility=eligibility)


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None:
        raise InvalidError("naive-time", "Time without zone", "Give times with a UTC offset.")
    return moment.astimezone(dt.UTC)


class PeriodsService:
    def __init__(self, drafts: DraftsService, ledger: LogService) -> None:
        self.drafts = drafts
        self.ledger = ledger

    async def row(self, period_id: str) -> dict[str, object]:
        row = await Period.select().where(Period.id == period_id).first()
        if row is None:
            raise NotFoundError("period-not-found", "Comment period not found", "Check the id.")
        return dict(row)

    async def get(self, period_id: str) -> PeriodView:
        return _view(await self.row(period_id))

    async def _owned(self, period_id: str, managed: Sequence[str]) -> dict[str, object]:
        row = await self.row(period_id)
        if row["organisation"] not in managed:
            raise ForbiddenError(
                "not-your-period",
                "Not your organisation's comment period",
                "Only officials of the organisation with discussions:manage may do this.",
            )
        return row

    async def create(
        self,
        *,
        draft_id: uuid.UUID,
        managed: Sequence[str],
        territory: Sequence[str],
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        eligibility: Eligibility,
        now: dt.datetime,
    ) -> PeriodView:
        draft = await self.drafts.owned(draft_id, managed)
        outside = territory_issues(eligibility, tuple(territory))
        if outside:
            raise UnprocessableError(
                "territory-outside-organisation",
                "Territory outside the organisation's",
                "A comment period may be open only within its organisation's territory: "
                "give OKTMO codes within it, or none for all of it.",
                extra={"errors": outside},
            )
        starts_at, ends_at = _utc(starts_at), _utc(ends_at)
        if ends_at <= starts_at:
            raise InvalidError(
                "bad-dates", "End before start", "The end must come after the start."
            )
        period_id = "cp-" + secrets.token_hex(8)
        await Period.insert(
            Period(
                id=period_id,
                draft=draft_id,
                organisation=draft["organisation"],
                status=PeriodStatus.DRAFT.value,
                starts_at=starts_at,
                ends_at=ends_at,
                eligibility=msgspec.json.encode(eligibility).decode(),
                territory=json.dumps(list(territory)),
                comment_count=0,
                created_at=now,
            )
        )
        return await self.get(period_id)

    async def reschedule(
        self,
        period_id: str,
        *,
        managed: Sequence[str],
        starts_at: dt.datetime,
        ends_at: dt.datetime,
        now: dt.datetime,
    ) -> PeriodView:
        """Change the dates while the period has not opened; once open only extend."""
        starts_at, ends_at = _utc(starts_at), _utc(ends_at)
        if ends_at <= starts_at:
            raise InvalidError(
                "bad-dates", "End before start", "The end must come after the start."
            )
        async with write_transaction(Period):
            row = await self._owned(period_id, managed)
            if row["status"] not in (PeriodStatus.DRAFT, PeriodStatus.ANNOUNCED):
                raise ConflictError(
                    "period-already-open",
                    "The period has opened",
                    "Its dates can no longer change; extend its end with a reason instead.",
                )
            if row["status"] == PeriodStatus.ANNOUNCED and starts_at <= now:
                raise InvalidError("start-in-past", "Start in the past", "Announce a future start.")
            await Period.update({Period.starts_at: starts_at, Period.ends_at: ends_at}).where(
                Period.id == period_id
            )
        return await self.get(period_id)

    async def announce(
        self, period_id: str, *, managed: Sequence[str], now: dt.datetime
    ) -> PeriodView:
        async with write_transaction(Period):
            row = await self._owned(period_id, managed)
            if row["status"] != PeriodStatus.DRAFT:
                raise ConflictError(
                    "not-a-draft", "Already announced", "Only drafts are announced."
                )
            if _utc(row["ends_at"]) <= now:  # type: ignore[arg-type]
                raise InvalidError("end-in-past", "End in the past", "Reschedule it first.")
            await Period.update({Period.status: PeriodStatus.ANNOUNCED.value}).where(
                Period.id == period_id
            )
        return await self.get(period_id)

    async def extend(
        self,
        period_id: str,
        *,
        managed: Sequence[str],
        new_end: dt.datetime,
        reason: str,
        decided_by: str,
        now: dt.datetime,
    ) -> PeriodView:
        """Move the end later (never earlier), logging who decided it and why."""
        new_end = _utc(new_end)
        reason = reason.strip()
        if not MIN_REASON <= len(reason) <= MAX_REASON:
            raise InvalidError(
                "bad-reason",
                "Give the reason for the extension",
                f"Write {MIN_REASON} to {MAX_REASON} characters: the reason is shown publicly "
                "in the period's log of extensions.",
            )
        async with write_transaction(Period):
            row = await self._owned(period_id, managed)
            if row["status"] not in (PeriodStatus.ANNOUNCED, PeriodStatus.OPEN):
                raise ConflictError(
                    "period-not-running",
                    "Only an announced or open period can be extended",
                    f"The period is {row['status']}.",
                )
            previous = _utc(row["ends_at"])  # type: ignore[arg-type]
            made = await PeriodExtension.count().where(PeriodExtension.period == period_id)
            if made >= MAX_EXTENSIONS:
                raise ConflictError(
                    "period-extension-limit",
                    "This comment period cannot be extended again",
                    f"A period may be extended at most {MAX_EXTENSIONS} times.",
                )
            if new_end <= previous or new_end <= now:
                raise ConflictError(
                    "period-cannot-shorten",
                    "A comment period cannot be shortened",
                    "An extension must move the end later than the current end.",
                )
            await Period.update({Period.ends_at: new_end}).where(Period.id == period_id)
            await PeriodExtension.insert(
                PeriodExtension(
                    period=period_id,
                    previous_end=previous,
                    new_end=new_end,
                    reason=reason,
                    decided_by=decided_by,
                    decided_at=now,
                )
            )
        return await self.get(period_id)

    async def extensions(self, period_id: str) -> list[ExtensionView]:
        await self.row(period_id)
        rows = await (
            PeriodExtension.select(
                PeriodExtension.previous_end,
                PeriodExtension.new_end,
                PeriodExtension.reason,
                PeriodExtension.decided_at,
            )
            .where(PeriodExtension.period == period_id)
            .order_by(PeriodExtension.decided_at)
            .limit(MAX_EXTENSIONS)
        )
        return [msgspec.convert(r, ExtensionView) for r in rows]

    async def page(
        self,
        *,
        draft_id: uuid.UUID | None,
        status: PeriodStatus | None,
        cursor: str | None,
        limit: int,
    ) -> Page[PeriodView]:
        query = Period.select(*_VIEW_FIELDS).order_by(Period.created_at).limit(limit + 1)
        if draft_id is not None:
            query = query.where(Period.draft == draft_id)
        if status is not None:
            query = query.where(Period.status == status.value)
        query = query.where(Period.status != PeriodStatus.DRAFT.value)
        after = decode_cursor(cursor)
        if after is not None:
            query = query.where(Period.created_at > after.at)
        rows = [_view(dict(r)) for r in await query]
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = encode_cursor(rows[-1].created_at, uuid.UUID(int=0)) if more else None
        return Page(items=rows, next=nxt)

    def eligibility_of(self, row: dict[str, object], who: Participant) -> Ineligible | None:
        rules = msgspec.json.decode(str(row["eligibility"]), type=Eligibility)
        territory = tuple(json.loads(str(row["territory"])))
        opening_day = _utc(row["starts_at"]).date()  # type: ignore[arg-type]
        return check_eligibility(rules, who, opening_day, territory)

    async def tick(self, now: dt.datetime) -> list[tuple[str, PeriodStatus]]:
        """Open and close every period whose announced time has come; returns what changed."""
        changed: list[tuple[str, PeriodStatus]] = []
        due_open = await Period.select(Period.id).where(
            (Period.status == PeriodStatus.ANNOUNCED.value) & (Period.starts_at <= now)
        )
        for row in due_open:
            period_id = str(row["id"])
            async with write_transaction(Period):
                await self.ledger.open_log(period_id)
                opened = (
                    await Period.update(
                        {Period.status: PeriodStatus.OPEN.value, Period.opened_at: now}
                    )
                    .where(
                        (Period.id == period_id) & (Period.status == PeriodStatus.ANNOUNCED.value)
                    )
                    .returning(Period.id)
                )
            if opened:
                changed.append((period_id, PeriodStatus.OPEN))
        due_close = await Period.select(Period.id).where(
            (Period.status == PeriodStatus.OPEN.value) & (Period.ends_at <= now)
        )
        for row in due_close:
            period_id = str(row["id"])
            async with write_transaction(Period):
                closed = (
                    await Period.update(
                        {Period.status: PeriodStatus.CLOSED.value, Period.closed_at: now}
                    )
                    .where(
                        (Period.id == period_id)
                        & (Period.status == PeriodStatus.OPEN.value)
                        & (Period.ends_at <= now)
                    )
                    .returning(Period.id)
                )
                if closed:
                    await self.ledger.close_log(period_id)
            if closed:
                changed.append((period_id, PeriodStatus.CLOSED))
        return changed
