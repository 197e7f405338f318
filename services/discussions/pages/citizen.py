"""Citizens' pages of the discussions service: comment periods, the draft by section with its
published comments (searched and filtered like ``GET /api/v1/periods/{id}/search`` and
``/comments``) and its log of extensions, the comment form, my comments with responses and
ratings, "check my comment", the auditor's page and the embeddable widget."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Response, Template

from services.discussions.comment_periods.domain import CommentPeriodsService
from services.discussions.comment_periods.schemas import CommentPeriodStatus, CommentPeriodView
from services.discussions.comments.domain import CommentsService, Submission
from services.discussions.comments.schemas import PublicComment
from services.discussions.drafts.domain import DraftsService
from services.discussions.errors import DomainError
from services.discussions.pages._comment_filter import NO_VALUE, CommentFilter, find_comments
from services.discussions.pages._forms import refusal
from services.discussions.pages.widget import WidgetSubject, comment_widget_config
from services.discussions.pagination import MAX_LIMIT, Page
from services.discussions.responses.domain import ResponsesService
from services.discussions.search.domain import SearchService
from shared.comment_period.entry import Stance
from shared.identity.claims import Session
from shared.log.service import LogService
from shared.recent_reads import RecentReads
from shared.web.ui.embed import embed_headers, embed_snippet
from shared.web.ui.pages import SignedForm, gettext, local_redirect, page, ui_settings
from shared.web.ui.refusals import problem_message
from shared.web.ui.verify import check_page

__all__ = ("CitizenPages",)

_LIST_LIMIT = 100
COMMENTS_PAGE = MAX_LIMIT
"""Published comments shown on one page of a discussion; "later comments" goes on."""
TextQuery = Annotated[str | None, QueryParameter(max_length=64)]
CursorQuery = Annotated[str | None, QueryParameter(max_length=200)]
SearchQuery = Annotated[str | None, QueryParameter(max_length=200)]
_COMMENT_FIELDS = ("section", "stance", "text", "proposed_wording")


async def _period(periods: CommentPeriodsService, period_id: str) -> CommentPeriodView:
    try:
        period = await periods.get(period_id)
    except DomainError as exc:
        raise NotFoundException() from exc
    if period.status == "draft":
        raise NotFoundException()
    return period


@dataclass(frozen=True, slots=True)
class _DiscussionPage:
    """A discussion's page for ``request``, drawn from the services it reads (injected into
    the handlers as ``discussion_page``, built from the injected services)."""

    request: Request[Any, Any, Any]
    drafts: NamedDependency[DraftsService]
    periods: NamedDependency[CommentPeriodsService]
    comments: NamedDependency[CommentsService]
    search: NamedDependency[SearchService]

    async def render(
        self,
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
        period = await _period(self.periods, period_id)
        draft = await self.drafts.recent(period.draft)
        search_errors: list[str] = []
        try:
            comments = await find_comments(
                self.comments, self.search, period_id, shown, after, COMMENTS_PAGE
            )
        except DomainError as exc:
            # A search the service refuses (no word in it, an unknown filter, a stale page) is
            # said next to the search form; the draft and the comment form stay usable.
            comments = Page(items=[])
            search_errors.append(refusal(self.request, exc))
            status_code = exc.status
        by_section: dict[str, list[PublicComment]] = defaultdict(list)
        for comment in comments.items:
            by_section[comment.section].append(comment)
        counts = await self.comments.published_counts(period.id)
        settings = ui_settings(self.request)
        params = shown.params()
        return page(
            self.request,
            "discussions/discussion.html",
            status_code=status_code,
            period=period,
            draft=draft,
            extensions=await self.periods.extensions(period.id),
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
            snippet=embed_snippet(
                settings.discussions_url, f"/embed/drafts/{draft.id}", draft.title
            ),
        )


class CitizenPages(Controller):
    include_in_schema = False
    dependencies = {  # noqa: RUF012 - Litestar reads it as a class attribute
        "discussion_page": Provide(_DiscussionPage, sync_to_thread=False)
    }

    @get("/")
    async def home(
        self,
        request: Request[Any, Any, Any],
        drafts: NamedDependency[DraftsService],
        periods: NamedDependency[CommentPeriodsService],
    ) -> Template:
        listed = (
            await periods.page(draft_id=None, status=None, cursor=None, limit=_LIST_LIMIT)
        ).items
        rows = [(period, await drafts.get(period.draft)) for period in listed]
        order = {"open": 0, "announced": 1, "closed": 2, "report_published": 3}
        rows.sort(key=lambda r: (order.get(r[0].status, 9), r[0].ends_at))
        return page(request, "discussions/home.html", rows=rows)

    @get("/discussions/{period_id:str}")
    async def discussion(
        self,
        period_id: FromPath[str],
        discussion_page: NamedDependency[_DiscussionPage],
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
        return await discussion_page.render(
            period_id, section or "", [], {}, after=after, shown=shown
        )

    @post("/discussions/{period_id:str}/comments", status_code=303)
    async def comment(
        self,
        request: Request[Any, Any, Any],
        period_id: FromPath[str],
        signed_form: NamedDependency[SignedForm],
        comments: NamedDependency[CommentsService],
        discussion_page: NamedDependency[_DiscussionPage],
    ) -> Response[Any]:
        form, session = signed_form
        values = {k: str(form.get(k) or "") for k in _COMMENT_FIELDS}

        async def refused(message: str, status_code: int) -> Template:
            section = values["section"]
            return await discussion_page.render(period_id, section, [message], values, status_code)

        try:
            stance = Stance(values["stance"])
        except ValueError:
            return await refused(
                problem_message(lambda m: gettext(request, m), "stance-required"), 422
            )
        try:
            submitted = await comments.submit(
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
            return await refused(refusal(request, exc), exc.status)
        return local_redirect(request, f"/my/comments?sent={submitted.tracking_code}")

    @get("/my/comments")
    async def mine(
        self,
        request: Request[Any, Any, Any],
        signed_in: NamedDependency[Session],
        comments: NamedDependency[CommentsService],
        periods: NamedDependency[CommentPeriodsService],
        sent: TextQuery = None,
        rating: TextQuery = None,
    ) -> Response[Any]:
        listed = (await comments.mine(signed_in.sub, cursor=None, limit=100)).items
        # Responses of periods whose report is published are rated no more.
        return page(
            request,
            "discussions/mine.html",
            comments=list(reversed(listed)),
            sent=sent or "",
            reported=await periods.store.reported({c.period for c in listed}),
            rating_refused=rating == "refused",
        )

    @post("/my/comments/{comment_id:uuid}/rating", status_code=303)
    async def rate(
        self,
        request: Request[Any, Any, Any],
        comment_id: FromPath[uuid.UUID],
        signed_form: NamedDependency[SignedForm],
        responses: NamedDependency[ResponsesService],
    ) -> Response[Any]:
        form, session = signed_form
        raw = str(form.get("rating") or "")
        try:
            await responses.rate(
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
        self,
        request: Request[Any, Any, Any],
        period_id: FromPath[str],
        periods: NamedDependency[CommentPeriodsService],
        logs: NamedDependency[LogService],
        code: TextQuery = None,
    ) -> Template:
        period = await _period(periods, period_id)
        return await check_page(request, logs, period_id, code, "discussions", period=period)

    @get("/audit")
    async def audit(
        self,
        request: Request[Any, Any, Any],
        drafts: NamedDependency[DraftsService],
        periods: NamedDependency[CommentPeriodsService],
        logs: NamedDependency[LogService],
    ) -> Template:
        listed = (
            await periods.page(draft_id=None, status=None, cursor=None, limit=_LIST_LIMIT)
        ).items
        boards = [
            (period, await drafts.get(period.draft), await logs.latest_checkpoint(period.id))
            for period in listed
        ]
        return page(request, "discussions/audit.html", logs=boards, keys=logs.verifier_keys())

    @get("/embed/drafts/{draft_id:uuid}")
    async def embed(
        self,
        request: Request[Any, Any, Any],
        draft_id: FromPath[uuid.UUID],
        widgets: NamedDependency[RecentReads[WidgetSubject]],
    ) -> Template:
        subject = await widgets.get(str(draft_id))
        if subject is None:
            raise NotFoundException()
        draft, period = subject.draft, subject.period
        settings = ui_settings(request)
        open_now = period.status == CommentPeriodStatus.OPEN
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
