"""Official responses to comments and the author's rating of a response."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from enum import StrEnum

from services.discussions.comments.tables import Comment
from services.discussions.db import is_sqlite_table, write_transaction
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from services.discussions.moderation.domain import comment_in_scope
from services.discussions.outbox.domain import enqueue
from services.discussions.periods.domain import PeriodStatus
from services.discussions.periods.tables import Period

__all__ = ("Disposition", "ResponsesService")


class Disposition(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    NOTED = "noted"


class ResponsesService:
    async def respond(
        self,
        comment_id: uuid.UUID,
        *,
        allowed: Sequence[str],
        disposition: Disposition,
        justification: str,
        now: dt.datetime,
    ) -> None:
        """Record the disposition once and queue the author's notification with it."""
        if not justification.strip():
            raise InvalidError("justification-required", "Justification required", "Say why.")
        async with write_transaction(Comment):
            comment, _ = await comment_in_scope(comment_id, allowed, "respond")
            if comment["status"] != "published":
                raise ConflictError(
                    "comment-not-published",
                    "Only published comments get a response",
                    f"The comment is {comment['status']}; moderate it first.",
                )
            changed = (
                await Comment.update(
                    {
                        Comment.disposition: disposition.value,
                        Comment.justification: justification,
                        Comment.responded_at: now,
                    }
                )
                .where((Comment.id == comment_id) & (Comment.disposition == ""))
                .returning(Comment.id)
            )
            if not changed:
                raise ConflictError(
                    "already-responded", "Already answered", "Each comment is answered once."
                )
            await enqueue(
                "comment.responded",
                {
                    "comment": str(comment_id),
                    "period": comment["period"],
                    "tracking_code": comment["tracking_code"],
                    "author": comment["author"],
                    "disposition": disposition.value,
                    "justification": justification,
                },
                now,
            )

    async def rate(self, comment_id: uuid.UUID, *, author: str, rating: int) -> None:
        """The author rates the response to their comment, 1 to 5, once, until the period's
        report is published (the report carries the ratings; a later one could never reach it).

        The period's row is share-locked while the rating is written, so a rating either lands
        before the report is taken (and publishing sees it) or is refused after."""
        if not 1 <= rating <= 5:
            raise InvalidError("bad-rating", "Invalid rating", "Rate from 1 to 5.")
        async with write_transaction(Comment):
            comment = (
                await Comment.select(
                    Comment.author, Comment.disposition, Comment.rating, Comment.period
                )
                .where(Comment.id == comment_id)
                .first()
            )
            if comment is None:
                raise NotFoundError(
                    "comment-not-found", "Comment not found", "Check the comment id."
                )
            if comment["author"] != author:
                raise ForbiddenError(
                    "not-your-comment", "Not your comment", "Only its author may rate."
                )
            query = Period.select(Period.status).where(Period.id == comment["period"])
            if not is_sqlite_table(Period):
                query = query.lock_rows("SHARE")
            period = await query.first()
            if period is not None and period["status"] == PeriodStatus.REPORT_PUBLISHED:
                raise ConflictError(
                    "rating-after-report",
                    "The report is already published",
                    "Responses are rated until the comment period's report is published; "
                    "the published report cannot take a rating any more.",
                )
            if not comment["disposition"]:
                raise ConflictError(
                    "no-response-yet", "No response yet", "Rate once it is answered."
                )
            changed = (
                await Comment.update({Comment.rating: rating})
                .where((Comment.id == comment_id) & Comment.rating.is_null())
                .returning(Comment.id)
            )
            if not changed:
                raise ConflictError("already-rated", "Already rated", "A response is rated once.")
