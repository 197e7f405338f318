"""Citizens' pages of the discussions service: comment periods, the draft by section with its
published comments (searched and filtered like ``GET /api/v1/periods/{id}/search`` and
``/comments``) and its log of extensions, the comment form, my comments with responses and
ratings, "check my comment", the auditor's page and the embeddable widget."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from services.discussions.comments.domain import Submission
from services.discussions.comments.schemas import PublicComment
from services.discussions.deps import Discussions
from services.discussions.errors import DomainError
from services.discussions.pages._comment_filter import NO_VALUE, CommentFilter, find_comments
from services.discussions.pages.widget import comment_widget_config
from services.discussions.pagination import MAX_LIMIT, Page
from services.discussions.periods.schemas import PeriodStatus, PeriodView
from services.discussions.periods.store import PeriodStore
from shared.comment_period.entry import Stance
from shared.ledger.service import LogService
from shared.web.ui.embed import embed_headers, embed_snippet
from shared.web.ui.pages import (
    current_session,
    gettext,
    local_redirect,
    page,
    sign_in_url,
    signed_in_form,
    ui_settings,
)
from shared.web.ui.refusals import problem_message
from shared.web.ui.verify import check_tracking_code

__all__ = ("citizen_pages", "domain_of")

_LIST_LIMIT = 100
COMMENTS_PAGE = MAX_LIMIT
"""Published comments shown on one page of a discussion; "later comments" goes on."""
TextQuery = Annotated[str | None, QueryParameter(max_length=64)]
CursorQuery = Annotated[str | None, QueryParameter(max_length=200)]
SearchQuery = Annotated[str | None, QueryParameter(max_length=200)]


def domain_of(request: Request[Any, Any, Any]) -> Discussions:
    discussions: Discussions = request.app.state.discussions
    return discussions


def ledger_of(request: Request[Any, Any, Any]) -> LogService:
    ledger: LogService = request.app.state.ledger
    return ledger


async def _period(request: Request[Any, Any, Any], period_id: str) -> PeriodView:
    try:
        period = await domain_of(request).periods.get(period_id)
    except DomainError as exc:
        raise NotFoundException() from exc
    if period.status == "draft":
        raise NotFoundException()
    return period


async def _published_page(
    request: Request[Any, Any, Any], period_id: str, shown: CommentFilter, after: str | None
) -> Page[PublicComment]:
    """One bounded page of the published comments the filter matches, oldest first, after the
    cursor ``after``."""
    return await find_comments(domain_of(request), period_id, shown, after, COMMENTS_PAGE)


async def _reported_periods(period_ids: set[str]) -> set[str]:
    """Which of these periods have their report published (their responses are rated no more)."""
    return await PeriodStore().reported(period_ids)


def citizen_pages() -> type[Controller]:
    class CitizenPages(Controller):
        include_in_schema = False

        @get("/")
        async def home(self, request: Request[Any, Any, Any]) -> Template:
            domain = domain_of(request)
            periods = (
                await domain.periods.page(
                    draft_id=None, status=None, cursor=None, limit=_LIST_LIMIT
                )
            ).items
            rows = []
            for period in periods:
                draft = await domain.drafts.get(period.draft)
                rows.append((period, draft))
            order = {"open": 0, "announced": 1, "closed": 2, "report_published": 3}
            rows.sort(key=lambda r: (order.get(r[0].status, 9), r[0].ends_at))
            return page(request, "discussions/home.html", rows=rows)

        @get("/discussions/{period_id:str}")
        async def discussion(
            self,
            request: Request[Any, Any, Any],
            period_id: FromPath[str],
            section: TextQuery = None,
            after: CursorQuery = None,
            q: SearchQuery = None,
            about: TextQuery = None,
            stance: TextQuery = None,
            disposition: TextQuery = None,
        ) -> Template:
            shown = CommentFilter(
                q=(q or "").strip(),
                about=about or "",
                stance=stance or "",
                disposition=disposition or "",
            )
            return await _discussion_page(
                request, period_id, section or "", [], {}, after=after, shown=shown
            )

        @post("/discussions/{period_id:str}/comments", status_code=303)
        async def comment(
            self, request: Request[Any, Any, Any], period_id: FromPath[str]
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            form, session = signed_in
            values = {
                k: str(form.get(k) or "") for k in ("section", "stance", "text", "proposed_wording")
            }
            try:
                stance = Stance(values["stance"])
            except ValueError:
                return await _discussion_page(
                    request,
                    period_id,
                    values["section"],
                    [problem_message(lambda m: gettext(request, m), "stance-required")],
                    values,
                    422,
                )
            try:
                submitted = await domain_of(request).comments.submit(
                    period_id,
                    Submission(
                        author=session,
                        section=values["section"],
                        stance=stance,
                        text=values["text"],
                        proposed_wording=values["proposed_wording"],
                    ),
                    dt.datetime.now(dt.UTC),
                )
            except DomainError as exc:
                return await _discussion_page(
                    request,
                    period_id,
                    values["section"],
                    [
                        problem_message(
                            lambda m: gettext(request, m), exc.slug, exc.detail, exc.extra
                        )
                    ],
                    values,
                    exc.status,
                )
            return local_redirect(request, f"/my/comments?sent={submitted.tracking_code}")

        @get("/my/comments")
        async def mine(
            self, request: Request[Any, Any, Any], sent: TextQuery = None, rating: TextQuery = None
        ) -> Response[Any]:
            session = current_session(request)
            if session is None:
                return Redirect(sign_in_url(request), status_code=303)
            comments = (
                await domain_of(request).comments.mine(session.sub, cursor=None, limit=100)
            ).items
            return page(
                request,
                "discussions/mine.html",
                comments=list(reversed(comments)),
                sent=sent or "",
                reported=await _reported_periods({c.period for c in comments}),
                rating_refused=rating == "refused",
            )

        @post("/my/comments/{comment_id:uuid}/rating", status_code=303)
        async def rate(
            self, request: Request[Any, Any, Any], comment_id: FromPath[uuid.UUID]
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            form, session = signed_in
            raw = str(form.get("rating") or "")
            try:
                await domain_of(request).responses.rate(
                    comment_id,
                    author=session.sub,
                    rating=int(raw) if raw.isdigit() else 0,
                    now=dt.datetime.now(dt.UTC),
                )
            except DomainError:
                return local_redirect(request, "/my/comments?rating=refused")
            return local_redirect(request, "/my/comments")

        @get("/discussions/{period_id:str}/check")
        async def check(
            self, request: Request[Any, Any, Any], period_id: FromPath[str], code: TextQuery = None
        ) -> Template:
            period = await _period(request, period_id)
            result = (
                await check_tracking_code(ledger_of(request), period_id, code) if code else None
            )
            template = (
                "discussions/_check_result.html"
                if request.headers.get("hx-request")
                else "discussions/check.html"
            )
            return page(request, template, period=period, code=code or "", result=result)

        @get("/audit")
        async def audit(self, request: Request[Any, Any, Any]) -> Template:
            domain = domain_of(request)
            ledger = ledger_of(request)
            periods = (
                await domain.periods.page(
                    draft_id=None, status=None, cursor=None, limit=_LIST_LIMIT
                )
            ).items
            logs = []
            for period in periods:
                draft = await domain.drafts.get(period.draft)
                logs.append((period, draft, await ledger.latest_checkpoint(period.id)))
            return page(request, "discussions/audit.html", logs=logs, keys=ledger.verifier_keys())

        @get("/embed/drafts/{draft_id:uuid}")
        async def embed(
            self, request: Request[Any, Any, Any], draft_id: FromPath[uuid.UUID]
        ) -> Template:
            domain = domain_of(request)
            try:
                draft = await domain.drafts.get(draft_id)
            except DomainError as exc:
                raise NotFoundException() from exc
            periods = (
                await domain.periods.page(draft_id=draft_id, status=None, cursor=None, limit=10)
            ).items
            if not periods:
                raise NotFoundException()
            settings = ui_settings(request)
            period = periods[-1]
            open_now = period.status == PeriodStatus.OPEN
            return page(
                request,
                "discussions/embed.html",
                headers=await embed_headers(draft.organisation),
                draft=draft,
                period=period,
                widget=comment_widget_config(request, period) if open_now else None,
                own_base=settings.base_path,
                base=settings.discussions_url.rstrip("/"),
                snippet=embed_snippet(
                    settings.discussions_url, f"/embed/drafts/{draft_id}", draft.title
                ),
            )

    return CitizenPages


async def _discussion_page(
    request: Request[Any, Any, Any],
    period_id: str,
    section: str,
    errors: list[str],
    values: dict[str, str],
    status_code: int = 200,
    *,
    after: str | None = None,
    shown: CommentFilter | None = None,
) -> Template:
    shown = shown or CommentFilter()
    period = await _period(request, period_id)
    domain = domain_of(request)
    draft = await domain.drafts.get(period.draft)
    search_errors: list[str] = []
    try:
        comments = await domain.comments.with_earlier_responses(
            await _published_page(request, period_id, shown, after)
        )
    except DomainError as exc:
        # A search the service refuses (no word in it, an unknown filter, a stale page) is
        # said next to the search form; the draft and the comment form stay usable.
        comments = Page(items=[])
        search_errors.append(
            problem_message(lambda m: gettext(request, m), exc.slug, exc.detail, exc.extra)
        )
        status_code = exc.status
    by_section: dict[str, list[PublicComment]] = defaultdict(list)
    for comment in comments.items:
        by_section[comment.section].append(comment)
    counts = await domain.comments.published_counts(period.id)
    settings = ui_settings(request)
    params = shown.params()
    return page(
        request,
        "discussions/discussion.html",
        status_code=status_code,
        period=period,
        draft=draft,
        extensions=await domain.periods.extensions(period.id),
        by_section=by_section,
        results=comments.items,
        shown=len(comments.items),
        total=sum(counts.values()),
        counts=counts,
        later=comments.next,
        paged=bool(after),
        filters=shown,
        no_value=NO_VALUE,
        section_names={s.anchor: f"{s.number} {s.heading}" for s in draft.sections},
        first_results="?" + urlencode(params) + "#results",
        later_results="?" + urlencode({**params, "after": comments.next}) + "#results"
        if comments.next
        else "",
        search_errors=search_errors,
        section=section,
        errors=errors,
        values=values,
        snippet=embed_snippet(settings.discussions_url, f"/embed/drafts/{draft.id}", draft.title),
    )
