"""Pre-moderation: the queue of pending comments and the publish / reject decision.

A rejected comment keeps its log entry; the report lists it as "rejected: <reason>" without
its text, so moderation can hide words but never make a submission disappear.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import msgspec

from services.discussions.comments.domain import PUBLIC_FIELDS, after_cursor, page_of
from services.discussions.comments.tables import Comment
from services.discussions.db import write_transaction
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from services.discussions.outbox.domain import enqueue
from services.discussions.pagination import Page
from services.discussions.periods.domain import PeriodStatus
from services.discussions.periods.tables import Period

__all__ = ("Decision", "ModerationService", "PendingComment", "RejectReason", "comment_in_scope")


class RejectReason(StrEnum):
    PROFANITY = "profanity"
    PERSONAL_DATA = "personal_data"
    OFF_TOPIC = "off_topic"
    DUPLICATE = "duplicate"
    SPAM = "spam"


class Decision(StrEnum):
    PUBLISH = "publish"
    REJECT = "reject"


class PendingComment(msgspec.Struct, kw_only=True):
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
    tracking_code: str


async def comment_in_scope(
    comment_id: uuid.UUID, allowed: Sequence[str], permission: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The comment and its period, if the period's organisation is among ``allowed``."""
    comment = await Comment.select().where(Comment.id == comment_id).first()
    if comment is None:
        raise NotFoundError("comment-not-found", "Comment not found", "Check the comment id.")
    period = (
        await Period.select(Period.organisation, Period.status)
        .where(Period.id == comment["period"])
        .first()
    )
    assert period is not None
    if period["organisation"] not in allowed:
        raise ForbiddenError(
            "not-your-comment-period",
            "Not your organisation's comment period",
            f"This needs the {permission} permission for the period's organisation.",
        )
    if period["status"] == PeriodStatus.REPORT_PUBLISHED:
        raise ConflictError(
            "report-published", "The report is published", "Nothing can change any more."
        )
    return comment, period


class ModerationService:
    async def queue(
        self, period_id: str, *, allowed: Sequence[str], cursor: str | None, limit: int
    ) -> Page[PendingComment]:
        period = await Period.select(Period.organisation).where(Period.id == period_id).first()
        if period is None:
            raise NotFoundError("period-not-found", "Comment period not found", "Check the id.")
        if period["organisation"] not in allowed:
            raise ForbiddenError(
                "not-your-comment-period",
                "Not your organisation's comment period",
                "This needs the moderate permission for the period's organisation.",
            )
        query = (
            Comment.select(*PUBLIC_FIELDS, Comment.tracking_code)
            .where((Comment.period == period_id) & (Comment.status == "pending"))
            .order_by(Comment.submitted_at, Comment.id)
            .limit(limit + 1)
        )
        after = after_cursor(cursor)
        if after is not None:
            query = query.where(after)
        return page_of(list(await query), limit, PendingComment)

    async def decide(
        self,
        comment_id: uuid.UUID,
        *,
        allowed: Sequence[str],
        decision: Decision,
        reason: RejectReason | None,
        note: str,
        now: dt.datetime,
    ) -> str:
        """Publish or reject a pending comment; returns its new status."""
        if decision is Decision.REJECT and reason is None:
            raise InvalidError(
                "reason-required", "Reason required", "Give a reason code to reject."
            )
        if decision is Decision.PUBLISH and reason is not None:
            raise InvalidError("no-reason", "No reason to publish", "Leave the reason empty.")
        status = "published" if decision is Decision.PUBLISH else "rejected"
        async with write_transaction(Comment):
            comment, _ = await comment_in_scope(comment_id, allowed, "moderate")
            changed = (
                await Comment.update(
                    {
                        Comment.status: status,
                        Comment.reject_reason: reason.value if reason else "",
                        Comment.moderator_note: note,
                        Comment.moderated_at: now,
                    }
                )
                .where((Comment.id == comment_id) & (Comment.status == "pending"))
                .returning(Comment.id)
            )
            if not changed:
                raise ConflictError(
                    "already-moderated",
                    "Already moderated",
                    f"The comment is already {comment['status']}.",
                )
            await enqueue(
                "comment.moderated",
                {
                    "comment": str(comment_id),
                    "period": comment["period"],
                    "tracking_code": comment["tracking_code"],
                    "author": comment["author"],
                    "status": status,
                    "reason": reason.value if reason else "",
                },
                now,
            )
        return status
