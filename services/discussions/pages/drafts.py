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
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response

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
from services.discussions.pages.citizen import domain_of
from services.discussions.periods.schemas import PeriodView
from shared.eligibility import Eligibility
from shared.identity.claims import Permission, Session
from shared.web.ui.pages import (
    current_session,
    gettext,
    local_redirect,
    page,
    sign_in_url,
    signed_in_form,
)

__all__ = ("DRAFT_MESSAGES", "draft_pages", "owned_draft")

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


async def _periods_of(request: Request[Any, Any, Any], draft_id: uuid.UUID) -> list[PeriodView]:
    """Every period of a draft, the not yet announced ones included (the public listing
    leaves those out)."""
    periods = domain_of(request).periods
    return [
        await periods.get(period_id) for period_id in await periods.store.ids_of_draft(draft_id)
    ]


def draft_pages() -> type[Controller]:
    class DraftPages(Controller):
        path = "/manage"
        include_in_schema = False

        @get("/")
        async def desk(self, request: Request[Any, Any, Any]) -> Response[Any]:
            session = current_session(request)
            if session is None:
                return Redirect(sign_in_url(request), status_code=303)
            drafts = []
            for organisation in session.organisations_with(MANAGE):
                listed = await domain_of(request).drafts.page(
                    organisation=organisation, cursor=None, limit=100
                )
                drafts.extend(listed.items)
            return page(
                request,
                "discussions/manage_drafts.html",
                drafts=drafts,
                organisations=session.organisations_with(MANAGE),
            )

        @get("/drafts/new")
        async def new_draft(self, request: Request[Any, Any, Any]) -> Response[Any]:
            session = current_session(request)
            if session is None:
                return Redirect(sign_in_url(request), status_code=303)
            return _draft_form(request, session, [], {})

        @post("/drafts/new", status_code=303)
        async def create_draft(self, request: Request[Any, Any, Any]) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            form, session = signed_in
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
                draft = await domain_of(request).drafts.create(
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
            request: Request[Any, Any, Any],
            draft_id: FromPath[uuid.UUID],
            version: VersionQuery = None,
        ) -> Response[Any]:
            session = current_session(request)
            if session is None:
                return Redirect(sign_in_url(request), status_code=303)
            detail = await owned_draft(request, session, draft_id, version)
            return await _draft_page(request, detail, [], {})

        @post(
            "/drafts/{draft_id:uuid}/versions",
            status_code=303,
            request_max_body_size=_UPLOAD_LIMIT,
        )
        async def new_version(
            self, request: Request[Any, Any, Any], draft_id: FromPath[uuid.UUID]
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            form, session = signed_in
            detail = await owned_draft(request, session, draft_id)
            values = {
                "note": form_text(form, "note", 20_000),
                "markdown": form_text(form, "markdown", _MAX_TEXT),
            }
            try:
                sections = await _version_text(form.get("file"), values["markdown"])
                if isinstance(sections, str):
                    errors = [gettext(request, sections)]
                    return await _draft_page(request, detail, errors, values, 422)
                await domain_of(request).drafts.new_version(
                    draft_id,
                    managed=session.organisations_with(MANAGE),
                    note=values["note"],
                    sections=sections,
                    now=dt.datetime.now(dt.UTC),
                    by=session.sub,
                )
            except DomainError as exc:
                return await _draft_page(
                    request, detail, [refusal(request, exc)], values, exc.status
                )
            return local_redirect(request, f"/manage/drafts/{draft_id}?done=version#versions")

        @post(
            "/drafts/{draft_id:uuid}/attachments",
            status_code=303,
            request_max_body_size=_UPLOAD_LIMIT,
        )
        async def attach(
            self, request: Request[Any, Any, Any], draft_id: FromPath[uuid.UUID]
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            form, session = signed_in
            detail = await owned_draft(request, session, draft_id)
            upload = form.get("file")
            if not isinstance(upload, UploadFile) or not upload.filename:
                return await _draft_page(request, detail, [gettext(request, _NO_FILE)], {}, 422)
            try:
                await domain_of(request).drafts.attach(
                    draft_id,
                    managed=session.organisations_with(MANAGE),
                    filename=upload.filename,
                    data=await upload.read(),
                    now=dt.datetime.now(dt.UTC),
                )
            except DomainError as exc:
                return await _draft_page(request, detail, [refusal(request, exc)], {}, exc.status)
            return local_redirect(request, f"/manage/drafts/{draft_id}?done=attached#attachments")

        @post("/drafts/{draft_id:uuid}/attachments/{attachment_id:uuid}/remove", status_code=303)
        async def remove_attachment(
            self,
            request: Request[Any, Any, Any],
            draft_id: FromPath[uuid.UUID],
            attachment_id: FromPath[uuid.UUID],
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            _, session = signed_in
            detail = await owned_draft(request, session, draft_id)
            try:
                await domain_of(request).drafts.remove_attachment(
                    draft_id,
                    attachment_id,
                    managed=session.organisations_with(MANAGE),
                    now=dt.datetime.now(dt.UTC),
                )
            except DomainError as exc:
                return await _draft_page(request, detail, [refusal(request, exc)], {}, exc.status)
            return local_redirect(request, f"/manage/drafts/{draft_id}?done=removed#attachments")

        @post("/drafts/{draft_id:uuid}/periods", status_code=303)
        async def create_period(
            self, request: Request[Any, Any, Any], draft_id: FromPath[uuid.UUID]
        ) -> Response[Any]:
            signed_in = await signed_in_form(request)
            if isinstance(signed_in, Redirect):
                return signed_in
            form, session = signed_in
            detail = await owned_draft(request, session, draft_id)
            values = {k: form_text(form, k, 40) for k in ("starts_at", "ends_at", "min_age")}
            values["confirmed_only"] = "on" if form.get("confirmed_only") else ""
            starts_at, ends_at = form_moment(values["starts_at"]), form_moment(values["ends_at"])
            min_age = int(values["min_age"]) if values["min_age"].isdigit() else 0
            if starts_at is None or ends_at is None:
                errors = [gettext(request, _NO_DATES)]
                return await _draft_page(request, detail, errors, values, 422)
            try:
                period = await domain_of(request).periods.create(
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
                errors = [refusal(request, exc)]
                return await _draft_page(request, detail, errors, values, exc.status)
            return local_redirect(request, f"/manage/periods/{period.id}")

    return DraftPages


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
    request: Request[Any, Any, Any],
    session: Session,
    draft_id: uuid.UUID,
    version: int | None = None,
) -> DraftDetail:
    domain = domain_of(request)
    await domain.drafts.owned(draft_id, session.organisations_with(MANAGE))
    return await domain.drafts.get(draft_id, version)


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


async def _draft_page(
    request: Request[Any, Any, Any],
    draft: DraftDetail,
    errors: list[str],
    values: dict[str, str],
    status_code: int = 200,
) -> Response[Any]:
    drafts = domain_of(request).drafts
    session = current_session(request)
    return page(
        request,
        "discussions/manage_draft.html",
        status_code=status_code,
        draft=draft,
        versions=await drafts.versions(draft.id),
        publishers=await drafts.version_publishers(draft.id),
        me=session.sub if session else "",
        periods=await _periods_of(request, draft.id),
        errors=errors,
        values=values,
    )
