"""Drafts: creation, versions with their sections, attachments. No HTTP here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import msgspec

from services.discussions.db import write_transaction
from services.discussions.drafts.files import check_file
from services.discussions.drafts.importers import ParsedSection, check_sections
from services.discussions.drafts.tables import Attachment, Draft, DraftVersion, Section
from services.discussions.errors import ForbiddenError, InvalidError, NotFoundError
from services.discussions.pagination import Page, decode_cursor, encode_cursor

__all__ = (
    "AttachmentView",
    "DraftDetail",
    "DraftSummary",
    "DraftsService",
    "SectionView",
)


class SectionView(msgspec.Struct, kw_only=True):
    number: str
    anchor: str
    heading: str
    body: str


class AttachmentView(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str


class DraftSummary(msgspec.Struct, kw_only=True):
    id: uuid.UUID
    organisation: str
    title: str
    kind: str
    summary: str
    official_position: str
    current_version: int
    created_at: dt.datetime


class DraftDetail(DraftSummary, kw_only=True):
    version: int
    """The version whose sections are shown."""
    versions: list[int]
    sections: list[SectionView]
    attachments: list[AttachmentView]


def _check_text(sections: Sequence[ParsedSection], **fields: str) -> None:
    """Refuse what the database cannot store as given, before anything is written."""
    check_sections(sections)
    for name, value in fields.items():
        if "\x00" in value:
            raise InvalidError(
                "nul-character",
                "NUL character in the text",
                f"The {name.replace('_', ' ')} contains a NUL character; remove it.",
            )


def _summary(row: dict[str, object]) -> DraftSummary:
    return msgspec.convert(
        {k: row[k] for k in DraftSummary.__struct_fields__}, DraftSummary, from_attributes=False
    )


class DraftsService:
    """Everything about drafts; callers pass the organisations the actor may manage."""

    async def _draft_row(self, draft_id: uuid.UUID) -> dict[str, object]:
        row = await Draft.select().where(Draft.id == draft_id).first()
        if row is None:
            raise NotFoundError("draft-not-found", "Draft not found", "Check the draft id.")
        return dict(row)

    async def owned(self, draft_id: uuid.UUID, managed: Sequence[str]) -> dict[str, object]:
        row = await self._draft_row(draft_id)
        if row["organisation"] not in managed:
            raise ForbiddenError(
                "not-your-draft",
                "Not your organisation's draft",
                "Only officials of the draft's organisation with discussions:manage may do this.",
            )
        return row

    async def create(
        self,
        *,
        organisation: str,
        managed: Sequence[str],
        title: str,
        kind: str,
        summary: str,
        official_position: str,
        sections: Sequence[ParsedSection],
        now: dt.datetime,
    ) -> DraftDetail:
        if organisation not in managed:
            raise ForbiddenError(
                "not-your-organisation",
                "Not your organisation",
                "You hold discussions:manage for other organisations only.",
            )
        _check_text(
            sections,
            title=title,
            kind=kind,
            summary=summary,
            official_position=official_position,
        )
        draft_id = uuid.uuid4()
        async with write_transaction(Draft):
            await Draft.insert(
                Draft(
                    id=draft_id,
                    organisation=organisation,
                    title=title,
                    kind=kind,
                    summary=summary,
                    official_position=official_position,
                    current_version=1,
                    created_at=now,
                )
            )
            await self._insert_version(draft_id, 1, "", sections, now)
        return await self.get(draft_id)

    async def _insert_version(
        self,
        draft_id: uuid.UUID,
        number: int,
        note: str,
        sections: Sequence[ParsedSection],
        now: dt.datetime,
    ) -> None:
        version_id = uuid.uuid4()
        await DraftVersion.insert(
            DraftVersion(id=version_id, draft=draft_id, number=number, note=note, created_at=now)
        )
        await Section.insert(
            *[
                Section(
                    version=version_id,
                    position=i,
                    number=s.number,
                    anchor=s.anchor,
                    heading=s.heading,
                    body=s.body,
                )
                for i, s in enumerate(sections)
            ]
        )

    async def new_version(
        self,
        draft_id: uuid.UUID,
        *,
        managed: Sequence[str],
        note: str,
        sections: Sequence[ParsedSection],
        now: dt.datetime,
    ) -> DraftDetail:
        """Publish a new text; earlier versions and the comments made on them stay."""
        async with write_transaction(Draft):
            row = await self.owned(draft_id, managed)
            _check_text(sections, note=note)
            number = int(str(row["current_version"])) + 1
            await self._insert_version(draft_id, number, note, sections, now)
            await Draft.update({Draft.current_version: number}).where(Draft.id == draft_id)
        return await self.get(draft_id)

    async def version_id(self, draft_id: uuid.UUID, number: int) -> uuid.UUID:
        row = (
            await DraftVersion.select(DraftVersion.id)
            .where((DraftVersion.draft == draft_id) & (DraftVersion.number == number))
            .first()
        )
        if row is None:
            raise NotFoundError(
                "version-not-found", "Version not found", "Check the version number."
            )
        return uuid.UUID(str(row["id"]))

    async def anchors(self, draft_id: uuid.UUID, number: int) -> set[str]:
        version = await self.version_id(draft_id, number)
        rows = await Section.select(Section.anchor).where(Section.version == version)
        return {str(r["anchor"]) for r in rows}

    async def get(self, draft_id: uuid.UUID, version: int | None = None) -> DraftDetail:
        row = await self._draft_row(draft_id)
        number = version or int(str(row["current_version"]))
        version_id = await self.version_id(draft_id, number)
        sections = await (
            Section.select(Section.number, Section.anchor, Section.heading, Section.body)
            .where(Section.version == version_id)
            .order_by(Section.position)
        )
        versions = await (
            DraftVersion.select(DraftVersion.number)
            .where(DraftVersion.draft == draft_id)
            .order_by(DraftVersion.number)
        )
        return DraftDetail(
            **msgspec.structs.asdict(_summary(row)),
            version=number,
            versions=[int(v["number"]) for v in versions],
            sections=[msgspec.convert(s, SectionView) for s in sections],
            attachments=await self.attachments(draft_id),
        )

    async def page(
        self, *, organisation: str | None, cursor: str | None, limit: int
    ) -> Page[DraftSummary]:
        query = Draft.select().order_by(Draft.created_at, Draft.id).limit(limit + 1)
        if organisation:
            query = query.where(Draft.organisation == organisation)
        after = decode_cursor(cursor)
        if after is not None:
            query = query.where(
                (Draft.created_at > after.at)
                | ((Draft.created_at == after.at) & (Draft.id > after.id))
            )
        rows = [_summary(dict(r)) for r in await query]
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = encode_cursor(rows[-1].created_at, rows[-1].id) if more else None
        return Page(items=rows, next=nxt)

    async def attach(
        self,
        draft_id: uuid.UUID,
        *,
        managed: Sequence[str],
        filename: str,
        data: bytes,
        now: dt.datetime,
    ) -> AttachmentView:
        await self.owned(draft_id, managed)
        checked = check_file(filename, data)
        attachment_id = uuid.uuid4()
        await Attachment.insert(
            Attachment(
                id=attachment_id,
                draft=draft_id,
                filename=checked.filename,
                media_type=checked.media_type,
                size=checked.size,
                sha256=checked.sha256,
                content=data,
                created_at=now,
            )
        )
        return AttachmentView(
            id=attachment_id,
            filename=checked.filename,
            media_type=checked.media_type,
            size=checked.size,
            sha256=checked.sha256,
        )

    async def attachments(self, draft_id: uuid.UUID) -> list[AttachmentView]:
        rows = await (
            Attachment.select(
                Attachment.id,
                Attachment.filename,
                Attachment.media_type,
                Attachment.size,
                Attachment.sha256,
            )
            .where(Attachment.draft == draft_id)
            .order_by(Attachment.created_at)
        )
        return [msgspec.convert(r, AttachmentView) for r in rows]

    async def attachment_content(
        self, draft_id: uuid.UUID, attachment_id: uuid.UUID
    ) -> tuple[AttachmentView, bytes]:
        row = (
            await Attachment.select()
            .where((Attachment.draft == draft_id) & (Attachment.id == attachment_id))
            .first()
        )
        if row is None:
            raise NotFoundError("attachment-not-found", "Attachment not found", "Check the id.")
        content = bytes(row.pop("content"))
        view = msgspec.convert(
            {k: row[k] for k in AttachmentView.__struct_fields__}, AttachmentView
        )
        return view, content
