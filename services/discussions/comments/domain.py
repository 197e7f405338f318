"""Submitting comments (log entry + receipt), listing them, "my comments".

Acceptance, in one transaction: the period row is bumped only if it is open and its end has
not passed (so acceptance and the scheduler's close are ordered by that row's lock), the
comment row and the log entry are inserted. The signed receipt is issued after the commit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import msgspec

from services.discussions.comments.tables import Comment
from services.discussions.db import write_transaction
from services.discussions.drafts.domain import DraftsService
from services.discussions.drafts.tables import Draft
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError
from services.discussions.pagination import Page, decode_cursor, encode_cursor
from services.discussions.periods.domain import PeriodsService, PeriodStatus
from services.discussions.periods.tables import Period
from services.discussions.responses.history import EarlierResponseView, earlier_responses
from shared.comment_period.entry import Stance, make_entry
from shared.eligibility import Participant
from shared.ledger.receipt import tracking_code
from shared.ledger.service import LogService

__all__ = (
    "MAX_TEXT",
    "CommentsService",
    "MyComment",
    "PublicComment",
    "Submission",
    "SubmittedComment",
)

MAX_TEXT = 5000
"""Longest comment text and proposed wording, in characters."""

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]


@dataclass(frozen=True, slots=True)
class Submission:
    author: Participant
    section: str
    stance: Stance
    text: str
    proposed_wording: str = ""
    idempotency_key: str | None = None
    """The client's Idempotency-Key: a retry with the same key returns the original receipt."""


class SubmittedComment(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    period: str
    tracking_code: str
    entry_hash: str
    """Hex leaf hash of the log entry."""
    receipt: str
    """Signed receipt (C2SP signed note), verifiable with /api/v1/keys."""
    accepted_at: dt.datetime
    status: str = "pending"


class PublicComment(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    period: str
    draft_version: int
    section: str
    stance: str
    text: str
    proposed_wording: str
    submitted_at: dt.datetime
    disposition: str
    justification: str
    responded_at: dt.datetime | None = None
    """When the response (or its latest correction) was given."""
    earlier_responses: list[EarlierResponseView] = msgspec.field(default_factory=list)
    """Responses an official corrected, oldest first."""


class MyComment(PublicComment, kw_only=True):
    tracking_code: str
    status: str
    reject_reason: str
    rating: int | None
    rating_tracking_code: str | None = None
    """Tracking code of the rating's entry in the period's log (None before ratings were
    logged): the author can check that their rating is in the log."""


PUBLIC_FIELDS = [
    Comment.id,
    Comment.period,
    Comment.draft_version,
    Comment.section,
    Comment.stance,
    Comment.text,
    Comment.proposed_wording,
    Comment.submitted_at,
    Comment.disposition,
    Comment.justification,
]


def page_of(rows: list[dict[str, Any]], limit: int, kind: type[Any]) -> Page[Any]:
    more = len(rows) > limit
    items = [msgspec.convert(r, kind) for r in rows[:limit]]
    nxt = encode_cursor(items[-1].submitted_at, items[-1].id) if more else None
    return Page(items=items, next=nxt)


async def with_earlier_responses(page: Page[Any]) -> Page[Any]:
    """Fill in the corrected responses of the page's answered comments (one query)."""
    earlier = await earlier_responses([c.id for c in page.items if c.disposition])
    for c in page.items:
        c.earlier_responses = earlier.get(c.id, [])
    return page


def after_cursor(cursor: str | None) -> Any:
    after = decode_cursor(cursor)
    if after is None:
        return None
    return (Comment.submitted_at > after.at) | (
        (Comment.submitted_at == after.at) & (Comment.id > after.id)
    )


class CommentsService:
    def __init__(self, periods: PeriodsService, drafts: DraftsService, ledger: LogService) -> None:
        self.periods = periods
        self.drafts = drafts
        self.ledger = ledger

    async def submit(
        self, period_id: str, submission: Submission, now: dt.datetime
    ) -> SubmittedComment:
        """Accept one comment; a retry with the same Idempotency-Key (after an answer that was
        lost, e.g. a connection cut after the commit) returns the original receipt and creates
        no second comment."""
        key = _idempotency_hash(submission)
        if key is not None:
            earlier = await self._earlier(period_id, key)
            if earlier is not None:
                return earlier
        try:
            return (await self.submit_many(period_id, [submission], now))[0]
        except Exception:
            # Two retries racing: the UNIQUE (period, key) index let one in.
            earlier = await self._earlier(period_id, key) if key is not None else None
            if earlier is None:
                raise
            return earlier

    async def _earlier(self, period_id: str, key: str) -> SubmittedComment | None:
        row = (
            await Comment.select(Comment.id, Comment.entry_hash, Comment.submitted_at)
            .where((Comment.period == period_id) & (Comment.idempotency_key == key))
            .first()
        )
        if row is None:
            return None
        digest = bytes(row["entry_hash"])
        accepted = row["submitted_at"]
        if accepted.tzinfo is None:
            accepted = accepted.replace(tzinfo=dt.UTC)
        issued = self.ledger.issue_receipt(period_id, digest, accepted)
        return SubmittedComment(
            id=row["id"],
            period=period_id,
            tracking_code=issued.tracking_code,
            entry_hash=digest.hex(),
            receipt=issued.note,
            accepted_at=accepted,
        )

    async def submit_many(
        self, period_id: str, submissions: Sequence[Submission], now: dt.datetime
    ) -> list[SubmittedComment]:
        """Accept comments in one transaction (one for the API; batches for bulk loads)."""
        period = await self.periods.row(period_id)
        self._check_open(period, now)
        draft_id = uuid.UUID(str(period["draft"]))
        draft = await Draft.select(Draft.current_version).where(Draft.id == draft_id).first()
        version = int(draft["current_version"]) if draft else 1
        anchors = await self.drafts.anchors(draft_id, version)
        rows = []
        for s in submissions:
            self._check_submission(s, anchors)
            ineligible = self.periods.eligibility_of(period, s.author)
            if ineligible is not None:
                raise ForbiddenError(
                    "not-eligible",
                    "Not eligible",
                    ineligible.reason,
                    extra={"code": ineligible.code},
                )
            entry, salt = make_entry(
                period=period_id,
                draft=str(draft_id),
                draft_version=version,
                section=s.section,
                stance=s.stance,
                text=s.text,
                proposed_wording=s.proposed_wording,
            )
            rows.append((s, entry, salt, uuid.uuid4()))
        hashes: list[bytes] = []
        async with write_transaction(Comment):
            bumped = (
                await Period.update({Period.comment_count: Period.comment_count + len(rows)})
                .where(
                    (Period.id == period_id)
                    & (Period.status == PeriodStatus.OPEN.value)
                    & (Period.ends_at > now)
                )
                .returning(Period.id)
            )
            if not bumped:
                raise self._not_open()
            for _s, entry, _salt, _id in rows:
                hashes.append(await self.ledger.append(period_id, entry, now))
            await Comment.insert(
                *[
                    Comment(
                        id=comment_id,
                        period=period_id,
                        draft_version=version,
                        section=s.section,
                        stance=s.stance.value,
                        text=s.text,
                        proposed_wording=s.proposed_wording,
                        salt=salt,
                        entry_hash=digest,
                        tracking_code=tracking_code(digest),
                        author=s.author.sub,
                        status="pending",
                        submitted_at=now,
                        idempotency_key=_idempotency_hash(s),
                    )
                    for (s, _entry, salt, comment_id), digest in zip(rows, hashes, strict=True)
                ]
            )
        submitted = []
        for (_s, _entry, _salt, comment_id), digest in zip(rows, hashes, strict=True):
            issued = self.ledger.issue_receipt(period_id, digest, now)
            submitted.append(
                SubmittedComment(
                    id=comment_id,
                    period=period_id,
                    tracking_code=issued.tracking_code,
                    entry_hash=digest.hex(),
                    receipt=issued.note,
                    accepted_at=now,
                )
            )
        return submitted

    @staticmethod
    def _not_open() -> ConflictError:
        return ConflictError(
            "period-not-open",
            "The comment period is not open",
            "Comments are accepted only between the announced start and end.",
        )

    def _check_open(self, period: dict[str, object], now: dt.datetime) -> None:
        starts_at = period["starts_at"]
        ends_at = period["ends_at"]
        assert isinstance(starts_at, dt.datetime)
        assert isinstance(ends_at, dt.datetime)
        if period["status"] != PeriodStatus.OPEN or not starts_at <= now < ends_at:
            raise self._not_open()

    @staticmethod
    def _check_submission(s: Submission, anchors: set[str]) -> None:
        if s.section and s.section not in anchors:
            raise InvalidError(
                "unknown-section",
                "Unknown section",
                f"The current version has no section {s.section!r}; leave it empty for the "
                "whole draft.",
            )
        if not s.text.strip() or len(s.text) > MAX_TEXT or len(s.proposed_wording) > MAX_TEXT:
            raise InvalidError(
                "bad-text", "Invalid comment text", f"Write between 1 and {MAX_TEXT} characters."
            )
        if s.stance is Stance.PROPOSE_WORDING and not s.proposed_wording.strip():
            raise InvalidError(
                "wording-required",
                "Proposed wording required",
                "A 'propose wording' comment needs the wording you propose.",
            )

    async def published(
        self,
        period_id: str,
        *,
        section: str | None,
        stance: str | None,
        disposition: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[PublicComment]:
        """Published comments only, oldest first."""
        await self.periods.row(period_id)
        query = (
            Comment.select(*PUBLIC_FIELDS, Comment.responded_at)
            .where((Comment.period == period_id) & (Comment.status == "published"))
            .order_by(Comment.submitted_at, Comment.id)
            .limit(limit + 1)
        )
        if section is not None:
            query = query.where(Comment.section == section)
        if stance is not None:
            query = query.where(Comment.stance == stance)
        if disposition is not None:
            query = query.where(Comment.disposition == disposition)
        after = after_cursor(cursor)
        if after is not None:
            query = query.where(after)
        return await with_earlier_responses(page_of(list(await query), limit, PublicComment))

    async def mine(self, author: str, *, cursor: str | None, limit: int) -> Page[MyComment]:
        """The author's own comments with their status, response and rating."""
        query = (
            Comment.select(
                *PUBLIC_FIELDS,
                Comment.responded_at,
                Comment.tracking_code,
                Comment.status,
                Comment.reject_reason,
                Comment.rating,
            )
            .where(Comment.author == author)
            .order_by(Comment.submitted_at, Comment.id)
            .limit(limit + 1)
        )
        after = after_cursor(cursor)
        if after is not None:
            query = query.where(after)
        mine = await with_earlier_responses(page_of(list(await query), limit, MyComment))
        rated = [c.id for c in mine.items if c.rating is not None]
        if rated:
            logged = await Comment.select(Comment.id, Comment.rating_entry_hash).where(
                Comment.id.is_in(rated) & Comment.rating_entry_hash.is_not_null()
            )
            codes = {r["id"]: tracking_code(bytes(r["rating_entry_hash"])) for r in logged}
            for c in mine.items:
                c.rating_tracking_code = codes.get(c.id)
        return mine


def _idempotency_hash(submission: Submission) -> str | None:
    """Keyed by the author too: one person's key never finds another person's comment."""
    if submission.idempotency_key is None:
        return None
    material = f"{submission.author.sub}\n{submission.idempotency_key}".encode()
    return hashlib.sha256(material).hexdigest()
