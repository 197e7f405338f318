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

import msgspec

from services.discussions.comment_periods.schemas import (
    MAX_REASON,
    MIN_REASON,
    CommentPeriodStatus,
    CommentPeriodView,
    ExtensionView,
)
from services.discussions.comment_periods.store import CommentPeriodStore, Row
from services.discussions.drafts.domain import DraftsService
from services.discussions.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    NotFoundError,
    UnprocessableError,
)
from services.discussions.pagination import Page, decode_cursor, encode_cursor
from shared.eligibility import (
    Eligibility,
    Ineligible,
    Participant,
    check_eligibility,
    territory_issues,
)
from shared.log.service import LogService

__all__ = ("MAX_EXTENSIONS", "CommentPeriodsService", "for_viewer", "period_not_found")

MAX_EXTENSIONS = 20
"""Extensions one period may have: its public log of extensions is one short, unpaged list."""


def period_not_found() -> NotFoundError:
    """The one refusal of a comment period there is not."""
    return NotFoundError("period-not-found", "Comment period not found", "Check the id.")


def _view(row: Row) -> CommentPeriodView:
    data = dict(row)
    eligibility = msgspec.json.decode(str(data["eligibility"]), type=Eligibility)
    data["eligibility"] = eligibility
    data["closed_roll"] = eligibility.roll is not None
    return msgspec.convert(data, CommentPeriodView)


def for_viewer(view: CommentPeriodView, managed: Sequence[str]) -> CommentPeriodView:
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


class CommentPeriodsService:
    def __init__(
        self, drafts: DraftsService, logs: LogService, store: CommentPeriodStore | None = None
    ) -> None:
        self.drafts = drafts
        self.logs = logs
        self.store = store or CommentPeriodStore()

    async def row(self, period_id: str) -> Row:
        row = await self.store.get(period_id)
        if row is None:
            raise period_not_found()
        return row

    async def accepting_row(self, period_id: str) -> Row:
        """What accepting a comment reads of the period (its status, times and rules)."""
        row = await self.store.accepting_row(period_id)
        if row is None:
            raise period_not_found()
        return row

    async def get(self, period_id: str) -> CommentPeriodView:
        row = await self.store.view_row(period_id)
        if row is None:
            raise period_not_found()
        return _view(row)

    async def must_exist(self, period_id: str) -> None:
        """Raise what :meth:`row` raises for a period there is not, without reading it."""
        if not await self.store.exists(period_id):
            raise period_not_found()

    async def _owned(self, period_id: str, managed: Sequence[str]) -> Row:
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
    ) -> CommentPeriodView:
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
        await self.store.insert(
            {
                "id": period_id,
                "draft": draft_id,
                "organisation": draft["organisation"],
                "status": CommentPeriodStatus.DRAFT.value,
                "starts_at": starts_at,
                "ends_at": ends_at,
                "eligibility": msgspec.json.encode(eligibility).decode(),
                "territory": json.dumps(list(territory)),
                "comment_count": 0,
                "created_at": now,
            }
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
    ) -> CommentPeriodView:
        """Change the dates while the period has not opened; once open only extend."""
        starts_at, ends_at = _utc(starts_at), _utc(ends_at)
        if ends_at <= starts_at:
            raise InvalidError(
                "bad-dates", "End before start", "The end must come after the start."
            )
        async with self.store.transaction():
            row = await self._owned(period_id, managed)
            if row["status"] not in (CommentPeriodStatus.DRAFT, CommentPeriodStatus.ANNOUNCED):
                raise ConflictError(
                    "period-already-open",
                    "The period has opened",
                    "Its dates can no longer change; extend its end with a reason instead.",
                )
            if row["status"] == CommentPeriodStatus.ANNOUNCED and starts_at <= now:
                raise InvalidError("start-in-past", "Start in the past", "Announce a future start.")
            await self.store.set_dates(period_id, starts_at, ends_at)
        return await self.get(period_id)

    async def announce(
        self, period_id: str, *, managed: Sequence[str], now: dt.datetime
    ) -> CommentPeriodView:
        async with self.store.transaction():
            row = await self._owned(period_id, managed)
            if row["status"] != CommentPeriodStatus.DRAFT:
                raise ConflictError(
                    "not-a-draft", "Already announced", "Only drafts are announced."
                )
            if _utc(row["ends_at"]) <= now:
                raise InvalidError("end-in-past", "End in the past", "Reschedule it first.")
            await self.store.set_status(period_id, CommentPeriodStatus.ANNOUNCED)
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
    ) -> CommentPeriodView:
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
        async with self.store.transaction():
            row = await self._owned(period_id, managed)
            if row["status"] not in (CommentPeriodStatus.ANNOUNCED, CommentPeriodStatus.OPEN):
                raise ConflictError(
                    "period-not-running",
                    "Only an announced or open period can be extended",
                    f"The period is {row['status']}.",
                )
            previous = _utc(row["ends_at"])
            made = await self.store.extension_count(period_id)
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
            extension = ExtensionView(
                previous_end=previous, new_end=new_end, reason=reason, decided_at=now
            )
            await self.store.extend(period_id, extension, decided_by)
        return await self.get(period_id)

    async def extensions(self, period_id: str) -> list[ExtensionView]:
        await self.must_exist(period_id)
        rows = await self.store.extensions(period_id, MAX_EXTENSIONS)
        return [msgspec.convert(r, ExtensionView) for r in rows]

    async def page(
        self,
        *,
        draft_id: uuid.UUID | None,
        status: CommentPeriodStatus | None,
        cursor: str | None,
        limit: int,
    ) -> Page[CommentPeriodView]:
        after = decode_cursor(cursor)
        rows = [
            _view(r)
            for r in await self.store.listing(
                draft_id=draft_id,
                status=status,
                created_after=None if after is None else after.at,
                limit=limit + 1,
            )
        ]
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = encode_cursor(rows[-1].created_at, uuid.UUID(int=0)) if more else None
        return Page(items=rows, next=nxt)

    def eligibility_of(self, row: Row, who: Participant) -> Ineligible | None:
        rules = msgspec.json.decode(str(row["eligibility"]), type=Eligibility)
        territory = tuple(json.loads(str(row["territory"])))
        opening_day = _utc(row["starts_at"]).date()
        return check_eligibility(rules, who, opening_day, territory)

    async def tick(self, now: dt.datetime) -> list[tuple[str, CommentPeriodStatus]]:
        """Open and close every period whose announced time has come; returns what changed."""
        changed: list[tuple[str, CommentPeriodStatus]] = []
        for period_id in await self.store.due_to_open(now):
            async with self.store.transaction():
                await self.logs.open_log(period_id)
                opened = await self.store.open(period_id, now)
            if opened:
                changed.append((period_id, CommentPeriodStatus.OPEN))
        for period_id in await self.store.due_to_close(now):
            async with self.store.transaction():
                closed = await self.store.close(period_id, now)
                if closed:
                    await self.logs.close_log(period_id)
            if closed:
                changed.append((period_id, CommentPeriodStatus.CLOSED))
        return changed
