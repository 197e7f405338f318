"""Pre-moderation: the queue of pending comments and the publish / reject decision.

A rejected comment keeps its log entry; the report lists it as "rejected: <reason>" without
its text, so moderation can hide words but never make a submission disappear.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.comment_periods.store import CommentPeriodStore
from services.discussions.comments.domain import page_of
from services.discussions.comments.store import CommentStore, Row
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from services.discussions.moderation.schemas import Decision, PendingComment, RejectReason
from services.discussions.outbox.store import OutboxStore
from services.discussions.pagination import Page, decode_cursor

__all__ = ("CommentScope", "ModerationService")


def _not_yours(permission: str) -> ForbiddenError:
    return ForbiddenError(
        "not-your-comment-period",
        "Not your organisation's comment period",
        f"This needs the {permission} permission for the period's organisation.",
    )


class CommentScope:
    """Finds a comment an official may act on: its period's organisation must be theirs and
    its report not yet published."""

    def __init__(self, comments: CommentStore, periods: CommentPeriodStore) -> None:
        self.comments = comments
        self.periods = periods

    async def comment(self, comment_id: uuid.UUID, allowed: Sequence[str], permission: str) -> Row:
        """The comment, if its period's organisation is among ``allowed``."""
        comment = await self.comments.get(comment_id)
        if comment is None:
            raise NotFoundError("comment-not-found", "Comment not found", "Check the comment id.")
        period = await self.periods.get(str(comment["period"]))
        assert period is not None
        if period["organisation"] not in allowed:
            raise _not_yours(permission)
        if period["status"] == CommentPeriodStatus.REPORT_PUBLISHED:
            raise ConflictError(
                "report-published", "The report is published", "Nothing can change any more."
            )
        return comment


class ModerationService:
    def __init__(
        self,
        comment_store: CommentStore | None = None,
        period_store: CommentPeriodStore | None = None,
        outbox: OutboxStore | None = None,
    ) -> None:
        self.comment_store = comment_store or CommentStore()
        self.period_store = period_store or CommentPeriodStore()
        self.outbox = outbox or OutboxStore()
        self.scope = CommentScope(self.comment_store, self.period_store)

    async def queue(
        self, period_id: str, *, allowed: Sequence[str], cursor: str | None, limit: int
    ) -> Page[PendingComment]:
        period = await self.period_store.get(period_id)
        if period is None:
            raise NotFoundError("period-not-found", "Comment period not found", "Check the id.")
        if period["organisation"] not in allowed:
            raise _not_yours("moderate")
        rows = await self.comment_store.pending(period_id, decode_cursor(cursor), limit + 1)
        return page_of(rows, limit, PendingComment)

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
        async with self.comment_store.transaction():
            comment = await self.scope.comment(comment_id, allowed, "moderate")
            changed = await self.comment_store.moderate(
                comment_id,
                status=status,
                reason=reason.value if reason else "",
                note=note,
                now=now,
            )
            if not changed:
                raise ConflictError(
                    "already-moderated",
                    "Already moderated",
                    f"The comment is already {comment['status']}.",
                )
            await self.outbox.enqueue(
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
