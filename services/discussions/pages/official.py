"""Officials' pages of the discussions service: the moderation queue and responses."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from services.discussions.comments.schemas import CommentFilters, PublicComment
from services.discussions.errors import DomainError
from services.discussions.moderation.schemas import Decision, PendingComment, RejectReason
from services.discussions.pages._forms import refusal
from services.discussions.pages.citizen import domain_of
from services.discussions.periods.schemas import PeriodStatus
from services.discussions.responses.schemas import Disposition
from shared.identity.claims import Permission, Session
from shared.web.ui.pages import (
    current_session,
    gettext,
    local_redirect,
    page,
    sign_in_url,
    signed_in_form,
)

__all__ = ("OFFICIAL_MESSAGES", "official_pages")

MODERATE = Permission.MODERATE.value
RESPOND = Permission.RESPOND.value
_BAD_CHOICE = "The decision was not saved: choose one of the offered options."
OFFICIAL_MESSAGES = frozenset({_BAD_CHOICE})
"""Every msgid used from Python here (the catalogue test checks both catalogues hold them)."""


def official_pages() -> type[Controller]:
    class OfficialPages(Controller):
        include_in_schema = False

        @get("/moderation")
        async def queue(self, request: Request[Any, Any, Any]) -> Response[Any]:
            session = current_session(request)
            if session is None:
                return Redirect(sign_in_url(request), status_code=303)
            return await _queue_page(request, session)

        @post("/moderation/{comment_id:uuid}", status_code=303)
        async def decide(
            self, request: Request[Any, Any, Any], comment_id: FromPath[uuid.UUID]
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            form, session = signed_in
            reason = str(form.get("reason") or "")
            try:
                await domain_of(request).moderation.decide(
                    comment_id,
                    allowed=session.organisations_with(MODERATE),
                    decision=Decision(str(form.get("decision") or "publish")),
                    reason=RejectReason(reason) if reason else None,
                    note=str(form.get("note") or "")[:500],
                    now=dt.datetime.now(dt.UTC),
                )
            except DomainError as exc:
                return await _queue_page(request, session, refusal(request, exc), exc.status)
            except ValueError:
                return await _queue_page(request, session, gettext(request, _BAD_CHOICE), 400)
            return local_redirect(request, "/moderation")

        @post("/responses/{comment_id:uuid}", status_code=303)
        async def respond(
            self, request: Request[Any, Any, Any], comment_id: FromPath[uuid.UUID]
        ) -> Response[Any]:
            return await _response_form(request, comment_id, correcting=False)

        @post("/responses/{comment_id:uuid}/correction", status_code=303)
        async def correct(
            self, request: Request[Any, Any, Any], comment_id: FromPath[uuid.UUID]
        ) -> Response[Any]:
            return await _response_form(request, comment_id, correcting=True)

    return OfficialPages


async def _response_form(
    request: Request[Any, Any, Any], comment_id: uuid.UUID, *, correcting: bool
) -> Response[Any]:
    """A response to a comment, or the correction of one already sent, from the queue page."""
    signed_in = await signed_in_form(request)
    if isinstance(signed_in, Redirect):
        return signed_in
    form, session = signed_in
    responses = domain_of(request).responses
    try:
        await (responses.correct if correcting else responses.respond)(
            comment_id,
            allowed=session.organisations_with(RESPOND),
            disposition=Disposition(str(form.get("disposition") or "")),
            justification=str(form.get("justification") or ""),
            now=dt.datetime.now(dt.UTC),
        )
    except DomainError as exc:
        return await _queue_page(request, session, refusal(request, exc), exc.status)
    except ValueError:
        return await _queue_page(request, session, gettext(request, _BAD_CHOICE), 400)
    return local_redirect(
        request, "/moderation?corrected=1#answered" if correcting else "/moderation"
    )


async def _queue_page(
    request: Request[Any, Any, Any],
    session: Session,
    refused: str = "",
    status_code: int = 200,
) -> Response[Any]:
    """The moderation queue and the responses to give or correct; after a refused decision,
    with why it was refused (the form's answer, so nothing was saved)."""
    domain = domain_of(request)
    moderated = session.organisations_with(MODERATE)
    responders = session.organisations_with(RESPOND)
    periods = (await domain.periods.page(draft_id=None, status=None, cursor=None, limit=100)).items
    pending: list[tuple[str, PendingComment]] = []
    unanswered: list[PublicComment] = []
    answered: list[PublicComment] = []
    for period in periods:
        if period.organisation in moderated:
            draft = await domain.drafts.get(period.draft)
            queue = await domain.moderation.queue(
                period.id, allowed=moderated, cursor=None, limit=100
            )
            pending.extend((draft.title, c) for c in queue.items)
        if period.organisation in responders:
            published = await domain.comments.published(
                period.id, CommentFilters(), cursor=None, limit=100
            )
            unanswered.extend(c for c in published.items if not c.disposition)
            if period.status != PeriodStatus.REPORT_PUBLISHED:
                answered.extend(c for c in published.items if c.disposition)
    return page(
        request,
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
