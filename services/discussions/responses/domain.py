"""Official responses to comments, their corrections, and the author's rating of a response.

A correction keeps the earlier text (table ``response_correction``): the discussion page, the
API and the report show it beside the current one. Responses are not log entries (the report's
definition carries them, certified with the report), so a correction is not either. A rating
is: it enters the period's log as a ``vmeste-rating/v1`` entry in the transaction that records
it, and the report's ratings are recomputed from the log by ``vmeste audit``.
"""

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
from services.discussions.responses.tables import ResponseCorrection
from shared.comment_period.entry import make_rating_entry
from shared.ledger.service import LogService

__all__ = ("Disposition", "ResponsesService")


class Disposition(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    NOTED = "noted"


async def _refuse_after_report(period_id: str, problem: str, title: str, detail: str) -> None:
    """Share-lock the period's row (the publisher's update waits for it) and refuse once the
    report is published: the published report can take nothing more."""
    query = Period.select(Period.status).where(Period.id == period_id)
    if not is_sqlite_table(Period):
        query = query.lock_rows("SHARE")
    period = await query.first()
    if period is not None and period["status"] == PeriodStatus.REPORT_PUBLISHED:
        raise ConflictError(problem, title, detail)


class ResponsesService:
    def __init__(self, ledger: LogService) -> None:
        self.ledger = ledger

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

    async def correct(
        self,
        comment_id: uuid.UUID,
        *,
        allowed: Sequence[str],
        disposition: Disposition,
        justification: str,
        now: dt.datetime,
    ) -> None:
        """Replace a sent response, keeping the earlier text, until the report is published;
        the author is notified again."""
        if not justification.strip():
            raise InvalidError("justification-required", "Justification required", "Say why.")
        async with write_transaction(Comment):
            comment, _ = await comment_in_scope(comment_id, allowed, "respond")
            if not comment["disposition"]:
                raise ConflictError(
                    "no-response-yet",
                    "No response to correct",
                    "Answer the comment first; a correction replaces a sent response.",
                )
            # comment_in_scope refused a published report already; the share lock keeps the
            # publisher from taking the report between that check and this correction.
            await _refuse_after_report(
                str(comment["period"]),
                "report-published",
                "The report is published",
                "A response can be corrected until the comment period's report is published; "
                "the published report keeps the response it was certified with.",
            )
            if (comment["disposition"], comment["justification"]) == (
                disposition.value,
                justification,
            ):
                raise InvalidError(
                    "correction-unchanged",
                    "The correction changes nothing",
                    "Change the decision or its justification.",
                )
            await ResponseCorrection.insert(
                ResponseCorrection(
                    comment=comment_id,
                    disposition=comment["disposition"],
                    justification=comment["justification"],
                    responded_at=comment["responded_at"] or now,
                    corrected_at=now,
                )
            )
            await Comment.update(
                {
                    Comment.disposition: disposition.value,
                    Comment.justification: justification,
                    Comment.responded_at: now,
                }
            ).where(Comment.id == comment_id)
            await enqueue(
                "comment.response-corrected",
                {
                    "comment": str(comment_id),
                    "period": comment["period"],
                    "tracking_code": comment["tracking_code"],
                    "author": comment["author"],
                    "disposition": disposition.value,
                    "justification": justification,
                    "earlier_disposition": comment["disposition"],
                    "earlier_justification": comment["justification"],
                },
                now,
            )

    async def rate(
        self, comment_id: uuid.UUID, *, author: str, rating: int, now: dt.datetime
    ) -> None:
        """The author rates the response to their comment, 1 to 5, once, until the period's
        report is published (the report carries the ratings; a later one could never reach it).
        The rating enters the period's log in the same transaction, so the report's ratings
        and their average are recomputed from the log.

        The period's row is share-locked while the rating is written, so a rating either lands
        before the report is taken (and publishing sees it) or is refused after."""
        if not 1 <= rating <= 5:
            raise InvalidError("bad-rating", "Invalid rating", "Rate from 1 to 5.")
        async with write_transaction(Comment):
            query = Comment.select(
                Comment.author,
                Comment.disposition,
                Comment.rating,
                Comment.period,
                Comment.entry_hash,
            ).where(Comment.id == comment_id)
            if not is_sqlite_table(Comment):
                # Two ratings of one comment wait for each other here rather than both
                # writing the same log entry.
                query = query.lock_rows("UPDATE")
            comment = await query.first()
            if comment is None:
                raise NotFoundError(
                    "comment-not-found", "Comment not found", "Check the comment id."
                )
            if comment["author"] != author:
                raise ForbiddenError(
                    "not-your-comment", "Not your comment", "Only its author may rate."
                )
            await _refuse_after_report(
                str(comment["period"]),
                "rating-after-report",
                "The report is already published",
                "Responses are rated until the comment period's report is published; "
                "the published report cannot take a rating any more.",
            )
            if not comment["disposition"]:
                raise ConflictError(
                    "no-response-yet", "No response yet", "Rate once it is answered."
                )
            if comment["rating"] is not None:
                raise ConflictError("already-rated", "Already rated", "A response is rated once.")
            period_id = str(comment["period"])
            entry = make_rating_entry(
                period=period_id, comment_hash=bytes(comment["entry_hash"]), rating=rating
            )
            changed = (
                await Comment.update(
                    {
                        Comment.rating: rating,
                        Comment.rating_entry_hash: await self.ledger.append(period_id, entry, now),
                    }
                )
                .where((Comment.id == comment_id) & Comment.rating.is_null())
                .returning(Comment.id)
            )
            if not changed:
                raise ConflictError("already-rated", "Already rated", "A response is rated once.")
