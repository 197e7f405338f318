"""Drafts over HTTP: create (from sections or Markdown), import DOCX, versions, attachments."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from litestar import Controller, Response, delete, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, MultipartBody, QueryParameter

from services.discussions.db import utcnow
from services.discussions.drafts.domain import DraftsService
from services.discussions.drafts.files import MAX_ATTACHMENT_BYTES, check_file
from services.discussions.drafts.importers import (
    ParsedSection,
    anchor_for,
    check_anchor,
    sections_from_docx,
    sections_from_markdown,
)
from services.discussions.drafts.schemas import (
    AttachmentView,
    DraftDetail,
    DraftIn,
    DraftSummary,
    TextIn,
    VersionIn,
    VersionView,
)
from services.discussions.errors import InvalidError
from services.discussions.http import DEFAULT_PAGE, CursorQuery, LimitQuery, allowed
from services.discussions.pagination import Page
from shared.identity.claims import Permission, Session
from shared.identity.guards import requires_permission
from shared.web.openapi import problems

__all__ = ("DraftsController",)

MANAGE = Permission.DISCUSSIONS_MANAGE.value


@dataclass
class DocxDraftForm:
    organisation: str
    title: str
    kind: str
    file: UploadFile
    summary: str = ""
    official_position: str = ""


@dataclass
class AttachmentForm:
    file: UploadFile


@dataclass
class DocxVersionForm:
    file: UploadFile
    note: str = ""


def parse_text(data: TextIn) -> list[ParsedSection]:
    if (data.sections is None) == (data.markdown is None):
        raise InvalidError("text-required", "Give the text once", "Send sections or markdown.")
    if data.markdown is not None:
        return sections_from_markdown(data.markdown)
    assert data.sections is not None
    parsed = [
        ParsedSection(
            s.number,
            check_anchor(s.anchor) if s.anchor else anchor_for(s.number),
            s.heading,
            s.body,
        )
        for s in data.sections
    ]
    if not parsed or len({p.anchor for p in parsed}) != len(parsed):
        raise InvalidError("bad-sections", "Invalid sections", "Give unique, non-empty sections.")
    return parsed


class DraftsController(Controller):
    path = "/api/v1/drafts"
    tags = ["drafts"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/", guards=[requires_permission(MANAGE)])
    async def create(
        self,
        data: JSONBody[DraftIn],
        session: NamedDependency[Session],
        drafts: NamedDependency[DraftsService],
    ) -> DraftDetail:
        """Create a draft with its first version (sections or Markdown)."""
        return await drafts.create(
            organisation=data.organisation,
            managed=allowed(session, MANAGE),
            title=data.title,
            kind=data.kind,
            summary=data.summary,
            official_position=data.official_position,
            sections=parse_text(data),
            now=utcnow(),
            by=session.sub,
        )

    @post(
        "/import-docx",
        guards=[requires_permission(MANAGE)],
        request_max_body_size=MAX_ATTACHMENT_BYTES + 65536,
        responses=problems(413, 415, 422),
    )
    async def import_docx(
        self,
        data: MultipartBody[DocxDraftForm],
        session: NamedDependency[Session],
        drafts: NamedDependency[DraftsService],
    ) -> DraftDetail:
        """Create a draft from a DOCX file: paragraphs styled Heading 1…6 open sections.

        Refused as problems: 413 document-expands-too-far or too-many-parts (counted on the
        bytes actually unpacked), 415 encrypted-document or unsupported-package, 422
        damaged-document, malformed-xml or xml-dtd-refused (any DOCTYPE, in any encoding)."""
        content = await data.file.read()
        check_file(data.file.filename or "draft.docx", content)
        return await drafts.create(
            organisation=data.organisation,
            managed=allowed(session, MANAGE),
            title=data.title[:500],
            kind=data.kind[:100],
            summary=data.summary[:20_000],
            official_position=data.official_position[:300],
            sections=sections_from_docx(content),
            now=utcnow(),
            by=session.sub,
        )

    @get("/")
    async def list_drafts(
        self,
        drafts: NamedDependency[DraftsService],
        organisation: Annotated[str | None, QueryParameter(max_length=64)] = None,
        cursor: CursorQuery = None,
        limit: LimitQuery = DEFAULT_PAGE,
    ) -> Page[DraftSummary]:
        """Drafts, oldest first, optionally of one organisation."""
        return await drafts.page(organisation=organisation, cursor=cursor, limit=limit)

    @get("/{draft_id:uuid}")
    async def get_draft(
        self,
        draft_id: FromPath[uuid.UUID],
        drafts: NamedDependency[DraftsService],
        # The column is a 32-bit integer: a larger number must be a 400, not an overflow.
        version: Annotated[int | None, QueryParameter(ge=1, le=2**31 - 1)] = None,
    ) -> DraftDetail:
        """A draft with the sections of its current (or the given) version."""
        return await drafts.get(draft_id, version)

    @post(
        "/{draft_id:uuid}/versions", guards=[requires_permission(MANAGE)], responses=problems(409)
    )
    async def new_version(
        self,
        draft_id: FromPath[uuid.UUID],
        data: JSONBody[VersionIn],
        session: NamedDependency[Session],
        drafts: NamedDependency[DraftsService],
    ) -> DraftDetail:
        """Publish a new version; comments on earlier versions stay linked to them."""
        return await drafts.new_version(
            draft_id,
            managed=allowed(session, MANAGE),
            note=data.note,
            sections=parse_text(data),
            now=utcnow(),
            by=session.sub,
        )

    @post(
        "/{draft_id:uuid}/versions/import-docx",
        guards=[requires_permission(MANAGE)],
        request_max_body_size=MAX_ATTACHMENT_BYTES + 65536,
        responses=problems(409, 413, 415, 422),
    )
    async def new_version_from_docx(
        self,
        draft_id: FromPath[uuid.UUID],
        data: MultipartBody[DocxVersionForm],
        session: NamedDependency[Session],
        drafts: NamedDependency[DraftsService],
    ) -> DraftDetail:
        """Publish a new version from a DOCX file (Heading 1…6 open sections), refused as
        ``import-docx`` refuses a file; comments on earlier versions stay linked to them."""
        content = await data.file.read()
        check_file(data.file.filename or "draft.docx", content)
        return await drafts.new_version(
            draft_id,
            managed=allowed(session, MANAGE),
            note=data.note[:20_000],
            sections=sections_from_docx(content),
            now=utcnow(),
            by=session.sub,
        )

    @get("/{draft_id:uuid}/versions")
    async def versions(
        self, draft_id: FromPath[uuid.UUID], drafts: NamedDependency[DraftsService]
    ) -> list[VersionView]:
        """Every version, oldest first: when it was published, its note, how many sections it
        has and how many comments were made on it (``GET /drafts/{id}?version=N`` is its
        text)."""
        return await drafts.versions(draft_id)

    @post(
        "/{draft_id:uuid}/attachments",
        guards=[requires_permission(MANAGE)],
        request_max_body_size=MAX_ATTACHMENT_BYTES + 65536,
        responses=problems(413, 415, 422),
    )
    async def attach(
        self,
        draft_id: FromPath[uuid.UUID],
        data: MultipartBody[AttachmentForm],
        session: NamedDependency[Session],
        drafts: NamedDependency[DraftsService],
    ) -> AttachmentView:
        """Attach a PDF, DOCX or ODT file (checked by content; SHA-256 returned)."""
        return await drafts.attach(
            draft_id,
            managed=allowed(session, MANAGE),
            filename=data.file.filename or "attachment",
            data=await data.file.read(),
            now=utcnow(),
        )

    @delete(
        "/{draft_id:uuid}/attachments/{attachment_id:uuid}",
        guards=[requires_permission(MANAGE)],
        status_code=200,
        responses=problems(409),
    )
    async def remove_attachment(
        self,
        draft_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        session: NamedDependency[Session],
        drafts: NamedDependency[DraftsService],
    ) -> AttachmentView:
        """Remove an attachment: its bytes are dropped, its name, size and SHA-256 stay listed
        with ``removed_at`` (no comment period's log refers to attachments)."""
        return await drafts.remove_attachment(
            draft_id, attachment_id, managed=allowed(session, MANAGE), now=utcnow()
        )

    @get(
        "/{draft_id:uuid}/attachments/{attachment_id:uuid}",
        media_type="application/octet-stream",
        responses=problems(410),
    )
    async def download(
        self,
        draft_id: FromPath[uuid.UUID],
        attachment_id: FromPath[uuid.UUID],
        drafts: NamedDependency[DraftsService],
    ) -> Response[bytes]:
        """The attachment's bytes; ``X-Content-SHA256`` carries its SHA-256; 410 once removed."""
        view, content = await drafts.attachment_content(draft_id, attachment_id)
        return Response(
            content,
            media_type=view.media_type,
            headers={
                "Content-Disposition": f"attachment; filename*=UTF-8''{_quote(view.filename)}",
                "X-Content-SHA256": view.sha256,
            },
        )


def _quote(name: str) -> str:
    return quote(name, safe="")
