"""Officials' pages of the discussions service: the moderation queue and responses."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Response

from services.discussions.comment_periods.domain import CommentPeriodsService
from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.comments.domain import CommentsService
from services.discussions.comments.schemas import CommentFilters, PublicComment
from services.discussions.drafts.domain import DraftsService
from services.discussions.errors import DomainError
from services.discussions.moderation.domain import ModerationService
from services.discussions.moderation.schemas import Decision, PendingComment, RejectReason
from services.discussions.pages._forms import refusal
from services.discussions.responses.domain import ResponsesService
from services.discussions.responses.schemas import Disposition
from shared.identity.claims import Permission, Session
from shared.web.ui.pages import SignedForm, gettext, local_redirect, page

__all__ = ("OFFICIAL_MESSAGES", "OfficialPages")

MODERATE = Permission.MODERATE.value
RESPOND = Permission.RESPOND.value
_BAD_CHOICE = "The decision was not saved: choose one of the offered options."
OFFICIAL_MESSAGES = frozenset({_BAD_CHOICE})
"""Every msgid used from Python here (the catalogue test checks both catalogues hold them)."""


@dataclass(frozen=True, slots=True)
class _QueuePage:
    """The moderation queue's page for ``request``, drawn from the services it reads (injected
    into the handlers as ``queue_page``, built from the injected services)."""

    request: Request[Any, Any, Any]
    drafts: NamedDependency[DraftsService]
    periods: NamedDependency[CommentPeriodsService]
    moderation: NamedDependency[ModerationService]
    comments: NamedDependency[CommentsService]

    async def render(
        self,
        session: Session,
        refused: str = "",
        status_code: int = 200,
    ) -> Response[Any]:
        """The moderation queue and the responses to give or correct; after a refused decision,
        with why it was refused (the form's answer, so nothing was saved)."""
        moderated = session.organisations_with(MODERATE)
        responders = session.organisations_with(RESPOND)
        periods = await self.periods.page(draft_id=None, status=None, cursor=None, limit=100)
        pending: list[tuple[str, PendingComment]] = []
        unanswered: list[PublicComment] = []
        answered: list[PublicComment] = []
        for period in periods.items:
            if period.organisation in moderated:
                draft = await self.drafts.get(period.draft)
                queue = await self.moderation.queue(
                    period.id, allowed=moderated, cursor=None, limit=100
                )
                pending.extend((draft.title, c) for c in queue.items)
            if period.organisation in responders:
                published = await self.comments.published(
                    period.id, CommentFilters(), cursor=None, limit=100
                )
                unanswered.extend(c for c in published.items if not c.disposition)
                if period.status != CommentPeriodStatus.REPORT_PUBLISHED:
                    answered.extend(c for c in published.items if c.disposition)
        return page(
            self.request,
            "discussions/moderation.html",
            status_code=status_code,
            refused=refused,
            pending=pending,
            unanswered=unanswered,
            answered=answered,
            reasons=[r.value for r in RejectReason],
            dispositions=[d.value for d in Disposition],
            may_moderate_here=bool(moderated),
        )

    async def answer(
        self,
        comment_id: uuid.UUID,
        signed_form: SignedForm,
        responses: ResponsesService,
        *,
        correcting: bool,
    ) -> Response[Any]:
        """A response to a comment, or the correction of one already sent, from this page."""
        form, session = signed_form
        try:
            await (responses.correct if correcting else responses.respond)(
                comment_id,
                allowed=session.organisations_with(RESPOND),
                disposition=Disposition(str(form.get("disposition") or "")),
                justification=str(form.get("justification") or ""),
                now=dt.datetime.now(dt.UTC),
            )
        except DomainError as exc:
            return await self.render(session, refusal(self.request, exc), exc.status)
        except ValueError:
            return await self.render(session, gettext(self.request, _BAD_CHOICE), 400)
        return local_redirect(
            self.request, "/moderation?corrected=1#answered" if correcting else "/moderation"
        )


class OfficialPages(Controller):
    include_in_schema = False
    dependencies = {"queue_page": Provide(_QueuePage, sync_to_thread=False)}  # noqa: RUF012

    @get("/moderation")
    async def queue(
        self, signed_in: NamedDependency[Session], queue_page: NamedDependency[_QueuePage]
    ) -> Response[Any]:
        return await queue_page.render(signed_in)

    @post("/moderation/{comment_id:uuid}", status_code=303)
    async def decide(
        self,
        request: Request[Any, Any, Any],
        comment_id: FromPath[uuid.UUID],
        signed_form: NamedDependency[SignedForm],
        moderation: NamedDependency[ModerationService],
        queue_page: NamedDependency[_QueuePage],
    ) -> Response[Any]:
        form, session = signed_form
        reason = str(form.get("reason") or "")
        try:
            await moderation.decide(
                comment_id,
                allowed=session.organisations_with(MODERATE),
                decision=Decision(str(form.get("decision") or "publish")),
                reason=RejectReason(reason) if reason else None,
                note=str(form.get("note") or "")[:500],
                now=dt.datetime.now(dt.UTC),
            )
        except DomainError as exc:
            return await queue_page.render(session, refusal(request, exc), exc.status)
        except ValueError:
            return await queue_page.render(session, gettext(request, _BAD_CHOICE), 400)
        return local_redirect(request, "/moderation")

    @post("/responses/{comment_id:uuid}", status_code=303)
    async def respond(
        self,
        comment_id: FromPath[uuid.UUID],
        signed_form: NamedDependency[SignedForm],
        responses: NamedDependency[ResponsesService],
        queue_page: NamedDependency[_QueuePage],
    ) -> Response[Any]:
        return await queue_page.answer(comment_id, signed_form, responses, correcting=False)

    @post("/responses/{comment_id:uuid}/correction", status_code=303)
    async def correct(
        self,
        comment_id: FromPath[uuid.UUID],
        signed_form: NamedDependency[SignedForm],
        responses: NamedDependency[ResponsesService],
        queue_page: NamedDependency[_QueuePage],
    ) -> Response[Any]:
        return await queue_page.answer(comment_id, signed_form, responses, correcting=True)
