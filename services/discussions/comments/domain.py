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
from typing import Any, TypeVar

import msgspec

from services.discussions.comment_periods.domain import CommentPeriodsService
from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.comment_periods.store import Row
from services.discussions.comments.schemas import (
    MAX_TEXT,
    CommentFilters,
    MyComment,
    PublicComment,
    SubmittedComment,
)
from services.discussions.comments.store import CommentStore
from services.discussions.drafts.domain import DraftsService
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError
from services.discussions.pagination import Page, decode_cursor, encode_cursor
from services.discussions.responses.store import ResponseStore
from shared.comment_period.entry import Stance, make_entry
from shared.eligibility import Participant
from shared.log.receipt import tracking_code
from shared.log.service import LogService

__all__ = ("CommentsService", "Submission", "page_of")

Listed = TypeVar("Listed", bound=PublicComment)


@dataclass(frozen=True, slots=True)
class Submission:
    author: Participant
    section: str
    stance: Stance
    text: str
    proposed_wording: str = ""
    idempotency_key: str | None = None
    """The client's Idempotency-Key: a retry with the same key returns the original receipt."""


def page_of(rows: list[dict[str, Any]], limit: int, kind: type[Any]) -> Page[Any]:
    """The first ``limit`` rows as ``kind``; ``next`` is set if a row was left over (callers
    read ``limit + 1``)."""
    more = len(rows) > limit
    items = [msgspec.convert(r, kind) for r in rows[:limit]]
    nxt = encode_cursor(items[-1].submitted_at, items[-1].id) if more else None
    return Page(items=items, next=nxt)


class CommentsService:
    def __init__(
        self,
        periods: CommentPeriodsService,
        drafts: DraftsService,
        logs: LogService,
        store: CommentStore | None = None,
        response_store: ResponseStore | None = None,
    ) -> None:
        self.periods = periods
        self.drafts = drafts
        self.logs = logs
        self.store = store or CommentStore()
        self.response_store = response_store or ResponseStore()

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
        row = await self.store.by_idempotency_key(period_id, key)
        if row is None:
            return None
        digest = bytes(row["entry_hash"])
        accepted = row["submitted_at"]
        if accepted.tzinfo is None:
            accepted = accepted.replace(tzinfo=dt.UTC)
        issued = self.logs.issue_receipt(period_id, digest, accepted)
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
        period = await self.periods.accepting_row(period_id)
        self._check_open(period, now)
        draft_id = uuid.UUID(str(period["draft"]))
        version, anchors = await self.drafts.current_anchors(draft_id)
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
        async with self.store.transaction():
            if not await self.periods.store.accept_comments(period_id, len(rows), now):
                raise self._not_open()
            hashes = await self.logs.append_many(period_id, [entry for _, entry, _, _ in rows], now)
            await self.store.insert(
                [
                    {
                        "id": comment_id,
                        "period": period_id,
                        "draft_version": version,
                        "section": s.section,
                        "stance": s.stance.value,
                        "text": s.text,
                        "proposed_wording": s.proposed_wording,
                        "salt": salt,
                        "entry_hash": digest,
                        "tracking_code": tracking_code(digest),
                        "author": s.author.sub,
                        "status": "pending",
                        "submitted_at": now,
                        "idempotency_key": _idempotency_hash(s),
                    }
                    for (s, _entry, salt, comment_id), digest in zip(rows, hashes, strict=True)
                ]
            )
        submitted = []
        for (_s, _entry, _salt, comment_id), digest in zip(rows, hashes, strict=True):
            issued = self.logs.issue_receipt(period_id, digest, now)
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

    def _check_open(self, period: Row, now: dt.datetime) -> None:
        starts_at = period["starts_at"]
        ends_at = period["ends_at"]
        assert isinstance(starts_at, dt.datetime)
        assert isinstance(ends_at, dt.datetime)
        if period["status"] != CommentPeriodStatus.OPEN or not starts_at <= now < ends_at:
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
        filters: CommentFilters,
        *,
        cursor: str | None,
        limit: int,
    ) -> Page[PublicComment]:
        """Published comments only, oldest first, those ``filters`` match, with their
        earlier responses."""
        await self.periods.must_exist(period_id)
        rows = await self.store.published(period_id, filters, decode_cursor(cursor), limit + 1)
        return await self.with_earlier_responses(page_of(rows, limit, PublicComment))

    async def mine(self, author: str, *, cursor: str | None, limit: int) -> Page[MyComment]:
        """The author's own comments with their status, response and rating."""
        rows = await self.store.by_author(author, decode_cursor(cursor), limit + 1)
        mine = await self.with_earlier_responses(page_of(rows, limit, MyComment))
        logged = await self.store.rating_entry_hashes(
            [c.id for c in mine.items if c.rating is not None]
        )
        for c in mine.items:
            if c.id in logged:
                c.rating_tracking_code = tracking_code(logged[c.id])
        return mine

    async def published_counts(self, period_id: str) -> dict[str, int]:
        """Published comments of the period by section ("" for the whole draft)."""
        return await self.store.published_counts(period_id)

    async def with_earlier_responses(self, page: Page[Listed]) -> Page[Listed]:
        """Fill in the corrected responses of the page's answered comments (one query)."""
        earlier = await self.response_store.earlier([c.id for c in page.items if c.disposition])
        for c in page.items:
            c.earlier_responses = earlier.get(c.id, [])
        return page


def _idempotency_hash(submission: Submission) -> str | None:
    """Keyed by the author too: one person's key never finds another person's comment."""
    if submission.idempotency_key is None:
        return None
    material = f"{submission.author.sub}\n{submission.idempotency_key}".encode()
    return hashlib.sha256(material).hexdigest()
