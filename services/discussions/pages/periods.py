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
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Response

from services.discussions.comment_periods.domain import CommentPeriodsService
from services.discussions.comment_periods.schemas import MAX_REASON, MIN_REASON
from services.discussions.drafts.domain import DraftsService
from services.discussions.errors import DomainError
from services.discussions.pages._forms import form_moment, form_text, refusal
from services.discussions.pages.drafts import owned_draft
from services.discussions.report.domain import ReportService
from shared.identity.claims import Permission, Session
from shared.web.ui.pages import SignedForm, gettext, local_redirect, page

__all__ = ("PERIOD_MESSAGES", "CommentPeriodPages")

MANAGE = Permission.DISCUSSIONS_MANAGE.value
_NO_END = "Give the new end of the discussion."
_NO_DATES = "Give the start and the end of the discussion."
PERIOD_MESSAGES = frozenset({_NO_END, _NO_DATES})
"""Every msgid used from Python here (the catalogue test checks both catalogues hold them)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True, slots=True)
class _PeriodPage:
    """The page of the request's period for its managers, drawn from the services it reads
    (injected into the handlers as ``period_page``, built from the injected services)."""

    request: Request[Any, Any, Any]
    period_id: FromPath[str]
    periods: NamedDependency[CommentPeriodsService]
    drafts: NamedDependency[DraftsService]

    async def render(
        self,
        session: Session,
        errors: list[str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        period = await self.periods.get(self.period_id)
        draft = await owned_draft(self.drafts, session, period.draft)
        return page(
            self.request,
            "discussions/manage_period.html",
            status_code=status_code,
            period=period,
            draft=draft,
            extensions=await self.periods.extensions(self.period_id),
            errors=errors or [],
            values=values or {},
            min_reason=MIN_REASON,
            max_reason=MAX_REASON,
            report=period.status == "report_published",
        )

    async def after(
        self,
        session: Session,
        action: Awaitable[object],
        anchor: str = "",
        values: dict[str, str] | None = None,
    ) -> Response[Any]:
        """Back to the page (at ``anchor``) once ``action`` (the domain call, not yet awaited)
        is done; if the domain refuses it, the page with the refusal for the period's owners,
        and for anyone else the refusal page of the ownership check :meth:`render` makes
        first."""
        try:
            await action
        except DomainError as exc:
            return await self.render(session, [refusal(self.request, exc)], values, exc.status)
        return local_redirect(self.request, f"/manage/periods/{self.period_id}{anchor}")


class CommentPeriodPages(Controller):
    path = "/manage/periods/{period_id:str}"
    include_in_schema = False
    dependencies = {"period_page": Provide(_PeriodPage, sync_to_thread=False)}  # noqa: RUF012

    @get("/")
    async def period(
        self, signed_in: NamedDependency[Session], period_page: NamedDependency[_PeriodPage]
    ) -> Response[Any]:
        return await period_page.render(signed_in)

    @post("/announce", status_code=303)
    async def announce(
        self,
        period_id: FromPath[str],
        signed_form: NamedDependency[SignedForm],
        periods: NamedDependency[CommentPeriodsService],
        period_page: NamedDependency[_PeriodPage],
    ) -> Response[Any]:
        session = signed_form.session
        action = periods.announce(period_id, managed=session.organisations_with(MANAGE), now=_now())
        return await period_page.after(session, action)

    @post("/schedule", status_code=303)
    async def reschedule(
        self,
        request: Request[Any, Any, Any],
        period_id: FromPath[str],
        signed_form: NamedDependency[SignedForm],
        periods: NamedDependency[CommentPeriodsService],
        period_page: NamedDependency[_PeriodPage],
    ) -> Response[Any]:
        """New dates while the period has not opened (afterwards only an extension)."""
        form, session = signed_form
        values = {k: form_text(form, k, 40) for k in ("starts_at", "ends_at")}
        starts_at, ends_at = form_moment(values["starts_at"]), form_moment(values["ends_at"])
        if starts_at is None or ends_at is None:
            return await period_page.render(session, [gettext(request, _NO_DATES)], values, 422)
        action = periods.reschedule(
            period_id,
            managed=session.organisations_with(MANAGE),
            starts_at=starts_at,
            ends_at=ends_at,
            now=_now(),
        )
        return await period_page.after(session, action, values=values)

    @post("/extensions", status_code=303)
    async def extend(
        self,
        request: Request[Any, Any, Any],
        period_id: FromPath[str],
        signed_form: NamedDependency[SignedForm],
        periods: NamedDependency[CommentPeriodsService],
        period_page: NamedDependency[_PeriodPage],
    ) -> Response[Any]:
        form, session = signed_form
        # The reason is not cut short here: one too long is refused, never silently trimmed.
        values = {
            "ends_at": form_text(form, "ends_at", 40),
            "reason": str(form.get("reason") or ""),
        }
        new_end = form_moment(values["ends_at"])
        if new_end is None:
            return await period_page.render(session, [gettext(request, _NO_END)], values, 422)
        action = periods.extend(
            period_id,
            managed=session.organisations_with(MANAGE),
            new_end=new_end,
            reason=values["reason"],
            decided_by=session.sub,
            now=_now(),
        )
        return await period_page.after(session, action, "#extensions", values)

    @post("/report", status_code=303)
    async def publish_report(
        self,
        period_id: FromPath[str],
        signed_form: NamedDependency[SignedForm],
        reports: NamedDependency[ReportService],
        period_page: NamedDependency[_PeriodPage],
    ) -> Response[Any]:
        session = signed_form.session
        action = reports.publish(period_id, allowed=session.organisations_with(MANAGE), now=_now())
        return await period_page.after(session, action, "#report")
