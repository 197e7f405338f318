"""Officials' pages for drafts: create a draft regulation from Markdown, publish new versions
(Markdown or DOCX) with their history, add and remove attachments, and add a comment period
(the period's own page is in ``periods``).

They call the same domain services as ``POST /api/v1/drafts``, ``POST /api/v1/drafts/{id}/
versions`` (and ``…/versions/import-docx``), ``GET /api/v1/drafts/{id}/versions``,
``POST``/``DELETE /api/v1/drafts/{id}/attachments…`` and ``POST /api/v1/drafts/{id}/periods``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Response

from services.discussions.comment_periods.domain import CommentPeriodsService
from services.discussions.comment_periods.schemas import CommentPeriodView
from services.discussions.drafts.domain import DraftsService
from services.discussions.drafts.files import MAX_ATTACHMENT_BYTES, check_file
from services.discussions.drafts.importers import (
    ParsedSection,
    sections_from_docx,
    sections_from_markdown,
)
from services.discussions.drafts.schemas import DraftDetail
from services.discussions.errors import DomainError
from services.discussions.http import territory_of
from services.discussions.pages._forms import form_moment, form_text, refusal
from shared.eligibility import Eligibility
from shared.identity.claims import Permission, Session
from shared.web.ui.pages import SignedForm, current_session, gettext, local_redirect, page

__all__ = ("DRAFT_MESSAGES", "DraftPages", "owned_draft")

MANAGE = Permission.DISCUSSIONS_MANAGE.value
_MAX_TEXT = 200_000
_UPLOAD_LIMIT = MAX_ATTACHMENT_BYTES + 65536
_MARKDOWN_SUFFIXES = (".md", ".markdown", ".txt")
VersionQuery = Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)]
_NO_TITLE = "Give the draft a title."
_NO_KIND = "Say what kind of act it is."
_NO_TEXT = "Paste the text of the draft."
_NO_DATES = "Give the start and the end of the discussion."
_NO_VERSION = "Choose a Markdown (.md) or DOCX file, or paste the text of the new version."
_NOT_TEXT = "The Markdown file is not UTF-8 text: save it as UTF-8 and upload it again."
_NOT_VERSION_FILE = "A new version is read from a Markdown (.md) or DOCX file."
_NO_FILE = "Choose the file to attach."
DRAFT_MESSAGES = frozenset(
    {
        _NO_TITLE,
        _NO_KIND,
        _NO_TEXT,
        _NO_DATES,
        _NO_VERSION,
        _NOT_TEXT,
        _NOT_VERSION_FILE,
        _NO_FILE,
    }
)
"""Every msgid used from Python here (the catalogue test checks both catalogues hold them)."""


async def _periods_of(
    periods: CommentPeriodsService, draft_id: uuid.UUID
) -> list[CommentPeriodView]:
    """Every period of a draft, the not yet announced ones included (the public listing
    leaves those out)."""
    return [
        await periods.get(period_id) for period_id in await periods.store.ids_of_draft(draft_id)
    ]


@dataclass(frozen=True, slots=True)
class _DraftPage:
    """A draft's page for its managers and ``request``, drawn from the services it reads
    (injected into the handlers as ``draft_page``, built from the injected services)."""

    request: Request[Any, Any, Any]
    drafts: NamedDependency[DraftsService]
    periods: NamedDependency[CommentPeriodsService]

    async def render(
        self,
        draft: DraftDetail,
        errors: list[str] | None = None,
        values: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Response[Any]:
        session = current_session(self.request)
        return page(
            self.request,
            "discussions/manage_draft.html",
            status_code=status_code,
            draft=draft,
            versions=await self.drafts.versions(draft.id),
            publishers=await self.drafts.version_publishers(draft.id),
            me=session.sub if session else "",
            periods=await _periods_of(self.periods, draft.id),
            errors=errors or [],
            values=values or {},
        )

    async def refused(
        self, draft: DraftDetail, exc: DomainError, values: dict[str, str] | None = None
    ) -> Response[Any]:
        """The page with why the domain refused the form, the form's values kept."""
        return await self.render(draft, [refusal(self.request, exc)], values, exc.status)

    async def after(
        self,
        draft: DraftDetail,
        action: Awaitable[object],
        done: str,
        values: dict[str, str] | None = None,
    ) -> Response[Any]:
        """Back to the draft's page saying what was ``done`` once ``action`` (the domain call,
        not yet awaited) is; if the domain refuses it, the page with why."""
        try:
            await action
        except DomainError as exc:
            return await self.refused(draft, exc, values)
        return local_redirect(self.request, f"/manage/drafts/{draft.id}?done={done}")


class DraftPages(Controller):
    path = "/manage"
    include_in_schema = False
    dependencies = {"draft_page": Provide(_DraftPage, sync_to_thread=False)}  # noqa: RUF012

    @get("/")
    async def desk(
        self,
        request: Request[Any, Any, Any],
        signed_in: NamedDependency[Session],
        drafts: NamedDependency[DraftsService],
    ) -> Response[Any]:
        listed = []
        for organisation in signed_in.organisations_with(MANAGE):
            found = await drafts.page(organisation=organisation, cursor=None, limit=100)
            listed.extend(found.items)
        return page(
            request,
            "discussions/manage_drafts.html",
            drafts=listed,
            organisations=signed_in.organisations_with(MANAGE),
        )

    @get("/drafts/new")
    async def new_draft(
        self, request: Request[Any, Any, Any], signed_in: NamedDependency[Session]
    ) -> Response[Any]:
        return _draft_form(request, signed_in, [], {})

    @post("/drafts/new", status_code=303)
    async def create_draft(
        self,
        request: Request[Any, Any, Any],
        signed_form: NamedDependency[SignedForm],
        drafts: NamedDependency[DraftsService],
    ) -> Response[Any]:
        form, session = signed_form
        values = {
            "organisation": form_text(form, "organisation", 64),
            "title": form_text(form, "title", 300),
            "kind": form_text(form, "kind", 100),
            "summary": form_text(form, "summary", 10_000),
            "official_position": form_text(form, "official_position", 2000),
            "markdown": form_text(form, "markdown", _MAX_TEXT),
        }
        errors = [
            gettext(request, message)
            for key, message in (
                ("title", _NO_TITLE),
                ("kind", _NO_KIND),
                ("markdown", _NO_TEXT),
            )
            if not values[key]
        ]
        if errors:
            return _draft_form(request, session, errors, values, 422)
        try:
            # Inside the try: a text the importer refuses is shown with the form kept.
            sections = sections_from_markdown(values["markdown"])
            draft = await drafts.create(
                organisation=values["organisation"],
                managed=session.organisations_with(MANAGE),
                title=values["title"],
                kind=values["kind"],
                summary=values["summary"],
                official_position=values["official_position"],
                sections=sections,
                now=dt.datetime.now(dt.UTC),
            )
        except DomainError as exc:
            return _draft_form(request, session, [refusal(request, exc)], values, exc.status)
        return local_redirect(request, f"/manage/drafts/{draft.id}")

    @get("/drafts/{draft_id:uuid}")
    async def draft(
        self,
        draft_id: FromPath[uuid.UUID],
        signed_in: NamedDependency[Session],
        drafts: NamedDependency[DraftsService],
        draft_page: NamedDependency[_DraftPage],
        version: VersionQuery = None,
    ) -> Response[Any]:
        return await draft_page.render(await owned_draft(drafts, signed_in, draft_id, version))

    @post("/drafts/{draft_id:uuid}/versions", status_code=303, request_max_body_size=_UPLOAD_LIMIT)
    async def new_version(
        self,
        request: Request[Any, Any, Any],
        draft_id: FromPath[uuid.UUID],
        signed_form: NamedDependency[SignedForm],
        drafts: NamedDependency[DraftsService],
        draft_page: NamedDependency[_DraftPage],
    ) -> Response[Any]:
        form, session = signed_form
        detail = await owned_draft(drafts, session, draft_id)
        values = {
            "note": form_text(form, "note", 20_000),
            "markdown": form_text(form, "markdown", _MAX_TEXT),
        }
        try:
            sections = await _version_text(form.get("file"), values["markdown"])
        except DomainError as exc:
            return await draft_page.refused(detail, exc, values)
        if isinstance(sections, str):
            return await draft_page.render(detail, [gettext(request, sections)], values, 422)
        action = drafts.new_version(
            draft_id,
            managed=session.organisations_with(MANAGE),
            note=values["note"],
            sections=sections,
            now=dt.datetime.now(dt.UTC),
            by=session.sub,
        )
        return await draft_page.after(detail, action, "version#versions", values)

    @post(
        "/drafts/{draft_id:uuid}/attachments", status_code=303, request_max_body_size=_UPLOAD_LIMIT
    )
    async def attach(
        self,
        request: Request[Any, Any, Any],
        draft_id: FromPath[uuid.UUID],
        signed_form: NamedDependency[SignedForm],
        drafts: NamedDependency[DraftsService],
        draft_page: NamedDependency[_DraftPage],
    ) -> Response[Any]:
        form, session = signed_form
        detail = await owned_draft(drafts, session, draft_id)
        upload = form.get("file")
        if not isinstance(upload, UploadFile) or not upload.filename:
            return await draft_page.render(detail, [gettext(request, _NO_FILE)], {}, 422)
        action = drafts.attach(
            draft_id,
            managed=session.organisations_with(MANAGE),
            filename=upload.filename,
            data=await upload.read(),
            now=dt.datetime.now(dt.UTC),
        )
        return await draft_page.after(detail, action, "attached#attachments")

    @post("/drafts/{draft_id:uuid}/attachments/{attachment_id:uuid}/remove", status_code=303)
    async def remove_attachment(
        self,
        draft_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        signed_form: NamedDependency[SignedForm],
        drafts: NamedDependency[DraftsService],
        draft_page: NamedDependency[_DraftPage],
    ) -> Response[Any]:
        session = signed_form.session
        detail = await owned_draft(drafts, session, draft_id)
        managed = session.organisations_with(MANAGE)
        now = dt.datetime.now(dt.UTC)
        action = drafts.remove_attachment(draft_id, attachment_id, managed=managed, now=now)
        return await draft_page.after(detail, action, "removed#attachments")

    @post("/drafts/{draft_id:uuid}/periods", status_code=303)
    async def create_period(
        self,
        request: Request[Any, Any, Any],
        draft_id: FromPath[uuid.UUID],
        signed_form: NamedDependency[SignedForm],
        drafts: NamedDependency[DraftsService],
        periods: NamedDependency[CommentPeriodsService],
        draft_page: NamedDependency[_DraftPage],
    ) -> Response[Any]:
        form, session = signed_form
        detail = await owned_draft(drafts, session, draft_id)
        values = {k: form_text(form, k, 40) for k in ("starts_at", "ends_at", "min_age")}
        values["confirmed_only"] = "on" if form.get("confirmed_only") else ""
        starts_at, ends_at = form_moment(values["starts_at"]), form_moment(values["ends_at"])
        min_age = int(values["min_age"]) if values["min_age"].isdigit() else 0
        if starts_at is None or ends_at is None:
            return await draft_page.render(detail, [gettext(request, _NO_DATES)], values, 422)
        try:
            period = await periods.create(
                draft_id=draft_id,
                managed=session.organisations_with(MANAGE),
                territory=territory_of(session, detail.organisation),
                starts_at=starts_at,
                ends_at=ends_at,
                eligibility=Eligibility(
                    min_age=min(min_age, 120), confirmed_only=bool(values["confirmed_only"])
                ),
                now=dt.datetime.now(dt.UTC),
            )
        except DomainError as exc:
            return await draft_page.refused(detail, exc, values)
        return local_redirect(request, f"/manage/periods/{period.id}")


def _draft_form(
    request: Request[Any, Any, Any],
    session: Session,
    errors: list[str],
    values: dict[str, str],
    status_code: int = 200,
) -> Response[Any]:
    return page(
        request,
        "discussions/draft_new.html",
        status_code=status_code,
        organisations=session.organisations_with(MANAGE),
        errors=errors,
        values=values,
    )


async def owned_draft(
    drafts: DraftsService,
    session: Session,
    draft_id: uuid.UUID,
    version: int | None = None,
) -> DraftDetail:
    await drafts.owned(draft_id, session.organisations_with(MANAGE))
    return await drafts.get(draft_id, version)


async def _version_text(upload: object, markdown: str) -> list[ParsedSection] | str:
    """The sections of a new version from the uploaded file (DOCX or Markdown) or the pasted
    Markdown; a message id when neither is usable."""
    if isinstance(upload, UploadFile) and upload.filename:
        content = await upload.read()
        name = upload.filename.lower()
        if name.endswith(".docx"):
            # The same content checks as an attachment (size, package, macros) first.
            check_file(upload.filename, content)
            return sections_from_docx(content)
        if not name.endswith(_MARKDOWN_SUFFIXES):
            return _NOT_VERSION_FILE
        if len(content) > _MAX_TEXT * 4:
            return _NOT_VERSION_FILE
        try:
            return sections_from_markdown(content.decode("utf-8-sig"))
        except UnicodeDecodeError:
            return _NOT_TEXT
    if markdown:
        return sections_from_markdown(markdown)
    return _NO_VERSION
