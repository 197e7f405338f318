"""Officials' page of one comment period: its state and log of extensions, and the lifecycle
actions people take — change its dates before it opens, announce it, extend it with a reason,
publish its report once closed.

Each action calls the domain service its API route calls (``PUT /api/v1/periods/{id}/
schedule``, ``POST .../announce``, ``/extensions`` and ``/report``) with the organisations
for which the signed-in person holds ``discussions:manage``, so the page refuses exactly whom
the API refuses.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response

from services.discussions.errors import DomainError
from services.discussions.pages._forms import form_moment, form_text, refusal
from services.discussions.pages.citizen import domain_of
from services.discussions.pages.drafts import owned_draft
from services.discussions.periods.schemas import MAX_REASON, MIN_REASON
from shared.identity.claims import Permission, Session
from shared.web.ui.pages import (
    current_session,
    gettext,
    local_redirect,
    page,
    sign_in_url,
    signed_in_form,
)

__all__ = ("PERIOD_MESSAGES", "period_pages")

MANAGE = Permission.DISCUSSIONS_MANAGE.value
_NO_END = "Give the new end of the discussion."
_NO_DATES = "Give the start and the end of the discussion."
PERIOD_MESSAGES = frozenset({_NO_END, _NO_DATES})
"""Every msgid used from Python here (the catalogue test checks both catalogues hold them)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def period_pages() -> type[Controller]:
    class PeriodPages(Controller):
        path = "/manage/periods/{period_id:str}"
        include_in_schema = False

        @get("/")
        async def period(
            self, request: Request[Any, Any, Any], period_id: FromPath[str]
        ) -> Response[Any]:
            session = current_session(request)
            if session is None:
                return Redirect(sign_in_url(request), status_code=303)
            return await _period_page(request, session, period_id)

        @post("/announce", status_code=303)
        async def announce(
            self, request: Request[Any, Any, Any], period_id: FromPath[str]
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            _, session = signed_in
            try:
                await domain_of(request).periods.announce(
                    period_id, managed=session.organisations_with(MANAGE), now=_now()
                )
            except DomainError as exc:
                return await _refused(request, session, period_id, exc)
            return local_redirect(request, f"/manage/periods/{period_id}")

        @post("/schedule", status_code=303)
        async def reschedule(
            self, request: Request[Any, Any, Any], period_id: FromPath[str]
        ) -> Response[Any]:
            """New dates while the period has not opened (afterwards only an extension)."""
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            form, session = signed_in
            values = {
                "starts_at": form_text(form, "starts_at", 40),
                "ends_at": form_text(form, "ends_at", 40),
            }
            starts_at, ends_at = form_moment(values["starts_at"]), form_moment(values["ends_at"])
            if starts_at is None or ends_at is None:
                errors = [gettext(request, _NO_DATES)]
                return await _period_page(request, session, period_id, errors, values, 422)
            try:
                await domain_of(request).periods.reschedule(
                    period_id,
                    managed=session.organisations_with(MANAGE),
                    starts_at=starts_at,
                    ends_at=ends_at,
                    now=_now(),
                )
            except DomainError as exc:
                return await _refused(request, session, period_id, exc, values)
            return local_redirect(request, f"/manage/periods/{period_id}")

        @post("/extensions", status_code=303)
        async def extend(
            self, request: Request[Any, Any, Any], period_id: FromPath[str]
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            form, session = signed_in
            # The reason is not cut short here: one too long is refused, never silently trimmed.
            values = {
                "ends_at": form_text(form, "ends_at", 40),
                "reason": str(form.get("reason") or ""),
            }
            new_end = form_moment(values["ends_at"])
            if new_end is None:
                errors = [gettext(request, _NO_END)]
                return await _period_page(request, session, period_id, errors, values, 422)
            try:
                await domain_of(request).periods.extend(
                    period_id,
                    managed=session.organisations_with(MANAGE),
                    new_end=new_end,
                    reason=values["reason"],
                    decided_by=session.sub,
                    now=_now(),
                )
            except DomainError as exc:
                return await _refused(request, session, period_id, exc, values)
            return local_redirect(request, f"/manage/periods/{period_id}#extensions")

        @post("/report", status_code=303)
        async def publish_report(
            self, request: Request[Any, Any, Any], period_id: FromPath[str]
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            _, session = signed_in
            try:
                await domain_of(request).reports.publish(
                    period_id, allowed=session.organisations_with(MANAGE), now=_now()
                )
            except DomainError as exc:
                return await _refused(request, session, period_id, exc)
            return local_redirect(request, f"/manage/periods/{period_id}#report")

    return PeriodPages


async def _refused(
    request: Request[Any, Any, Any],
    session: Session,
    period_id: str,
    exc: DomainError,
    values: dict[str, str] | None = None,
) -> Response[Any]:
    """The period's page with the refusal, for its owners; anyone else gets the refusal page
    of the ownership check ``_period_page`` makes first."""
    return await _period_page(
        request, session, period_id, [refusal(request, exc)], values, exc.status
    )


async def _period_page(
    request: Request[Any, Any, Any],
    session: Session,
    period_id: str,
    errors: list[str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response[Any]:
    domain = domain_of(request)
    period = await domain.periods.get(period_id)
    draft = await owned_draft(request, session, period.draft)
    return page(
        request,
        "discussions/manage_period.html",
        status_code=status_code,
        period=period,
        draft=draft,
        extensions=await domain.periods.extensions(period_id),
        errors=errors or [],
        values=values or {},
        min_reason=MIN_REASON,
        max_reason=MAX_REASON,
        report=period.status == "report_published",
    )
