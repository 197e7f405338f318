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
from typing import Any

from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.comment_periods.store import CommentPeriodStore
from services.discussions.comments.store import CommentStore, Row
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError, NotFoundError
from services.discussions.moderation.domain import CommentScope
from services.discussions.outbox.store import OutboxStore
from services.discussions.responses.schemas import Disposition, EarlierResponseView
from services.discussions.responses.store import ResponseStore
from shared.comment_period.entry import make_rating_entry
from shared.log.service import LogService

__all__ = ("ResponsesService",)


def _check_justification(justification: str) -> None:
    if not justification.strip():
        raise InvalidError("justification-required", "Justification required", "Say why.")


class ResponsesService:
    def __init__(
        self,
        logs: LogService,
        comment_store: CommentStore | None = None,
        period_store: CommentPeriodStore | None = None,
        store: ResponseStore | None = None,
        outbox: OutboxStore | None = None,
    ) -> None:
        self.logs = logs
        self.comment_store = comment_store or CommentStore()
        self.period_store = period_store or CommentPeriodStore()
        self.store = store or ResponseStore()
        self.outbox = outbox or OutboxStore()
        self.scope = CommentScope(self.comment_store, self.period_store)

    async def _refuse_after_report(
        self, period_id: str, problem: str, title: str, detail: str
    ) -> None:
        """Share-lock the period's row (the publisher's update waits for it) and refuse once
        the report is published: the published report can take nothing more."""
        if await self.period_store.shared_status(period_id) == CommentPeriodStatus.REPORT_PUBLISHED:
            raise ConflictError(problem, title, detail)

    async def _notify(
        self,
        topic: str,
        comment: Row,
        disposition: Disposition,
        justification: str,
        now: dt.datetime,
        **earlier: Any,
    ) -> None:
        """Tell the comment's author about the response (inside its transaction)."""
        await self.outbox.enqueue(
            topic,
            {
                "comment": str(comment["id"]),
                "period": comment["period"],
                "tracking_code": comment["tracking_code"],
                "author": comment["author"],
                "disposition": disposition.value,
                "justification": justification,
                **earlier,
            },
            now,
        )

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
        _check_justification(justification)
        async with self.comment_store.transaction():
            comment = await self.scope.comment(comment_id, allowed, "respond")
            if comment["status"] != "published":
                raise ConflictError(
                    "comment-not-published",
                    "Only published comments get a response",
                    f"The comment is {comment['status']}; moderate it first.",
                )
            if not await self.comment_store.respond(
                comment_id,
                disposition=disposition.value,
                justification=justification,
                now=now,
                first=True,
            ):
                raise ConflictError(
                    "already-responded", "Already answered", "Each comment is answered once."
                )
            await self._notify("comment.responded", comment, disposition, justification, now)

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
        _check_justification(justification)
        async with self.comment_store.transaction():
            comment = await self.scope.comment(comment_id, allowed, "respond")
            if not comment["disposition"]:
                raise ConflictError(
                    "no-response-yet",
                    "No response to correct",
                    "Answer the comment first; a correction replaces a sent response.",
                )
            # The scope refused a published report already; the share lock keeps the
            # publisher from taking the report between that check and this correction.
            await self._refuse_after_report(
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
            await self.store.keep_earlier(
                comment_id,
                EarlierResponseView(
                    disposition=comment["disposition"],
                    justification=comment["justification"],
                    responded_at=comment["responded_at"] or now,
                    corrected_at=now,
                ),
            )
            await self.comment_store.respond(
                comment_id,
                disposition=disposition.value,
                justification=justification,
                now=now,
                first=False,
            )
            await self._notify(
                "comment.response-corrected",
                comment,
                disposition,
                justification,
                now,
                earlier_disposition=comment["disposition"],
                earlier_justification=comment["justification"],
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
        async with self.comment_store.transaction():
            comment = await self.comment_store.for_rating(comment_id)
            if comment is None:
                raise NotFoundError(
                    "comment-not-found", "Comment not found", "Check the comment id."
                )
            if comment["author"] != author:
                raise ForbiddenError(
                    "not-your-comment", "Not your comment", "Only its author may rate."
                )
            await self._refuse_after_report(
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
            logged = await self.logs.append(period_id, entry, now)
            if not await self.comment_store.rate(comment_id, rating, logged):
                raise ConflictError("already-rated", "Already rated", "A response is rated once.")
