"""Drafts: creation, versions with their sections, attachments. No HTTP here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import msgspec
from piccolo.query.functions.aggregate import Count

from services.discussions.comments.tables import Comment
from services.discussions.db import write_transaction
from services.discussions.drafts.files import check_file
from services.discussions.drafts.importers import ParsedSection, check_sections
from services.discussions.drafts.tables import Attachment, Draft, DraftVersion, Section
from services.discussions.errors import (
    ConflictError,
    ForbiddenError,
    GoneError,
    InvalidError,
    NotFoundError,
)
from services.discussions.pagination import Page, decode_cursor, encode_cursor
from services.discussions.periods.tables import Period

__all__ = (
    "MAX_VERSIONS",
    "AttachmentView",
    "DraftDetail",
    "DraftSummary",
    "DraftsService",
    "SectionView",
    "VersionView",
)

MAX_VERSIONS = 200
"""Most versions one draft may have (a draft's version list is read in one piece)."""


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
    removed_at: dt.datetime | None = None
    """When an official removed it: its name and hash stay listed, its bytes are gone."""


class VersionView(msgspec.Struct, kw_only=True):
    number: int
    note: str
    created_at: dt.datetime
    sections: int
    """How many sections this version has."""
    comments: int
    """Comments made on this version, in every comment period of the draft, whatever their
    moderation (each is an entry of its period's public log, which names the version)."""


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
        by: str = "",
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
            await self._insert_version(draft_id, 1, "", sections, now, by)
        return await self.get(draft_id)

    async def _insert_version(
        self,
        draft_id: uuid.UUID,
        number: int,
        note: str,
        sections: Sequence[ParsedSection],
        now: dt.datetime,
        by: str,
    ) -> None:
        version_id = uuid.uuid4()
        await DraftVersion.insert(
            DraftVersion(
                id=version_id,
                draft=draft_id,
                number=number,
                note=note,
                created_at=now,
                published_by=by,
            )
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
        by: str = "",
    ) -> DraftDetail:
        """Publish a new text; earlier versions and the comments made on them stay. ``by`` is
        the publishing official's pseudonymous subject, shown only to the draft's officials."""
        async with write_transaction(Draft):
            row = await self.owned(draft_id, managed)
            _check_text(sections, note=note)
            number = int(str(row["current_version"])) + 1
            if number > MAX_VERSIONS:
                raise ConflictError(
                    "too-many-versions",
                    "The draft has as many versions as it may",
                    f"A draft keeps at most {MAX_VERSIONS} versions; start a new draft.",
                )
            await self._insert_version(draft_id, number, note, sections, now, by)
            await Draft.update({Draft.current_version: number}).where(Draft.id == draft_id)
        return await self.get(draft_id)

    async def versions(self, draft_id: uuid.UUID) -> list[VersionView]:
        """Every version of the draft, oldest first, with its section and comment counts."""
        await self._draft_row(draft_id)
        rows = await (
            DraftVersion.select(
                DraftVersion.id, DraftVersion.number, DraftVersion.note, DraftVersion.created_at
            )
            .where(DraftVersion.draft == draft_id)
            .order_by(DraftVersion.number)
        )
        # Every draft has its first version, so the list is never empty.
        sections = {
            str(r["version"]): int(r["n"])
            for r in await Section.select(Section.version, Count(Section.id, alias="n"))
            .where(Section.version.is_in([r["id"] for r in rows]))
            .group_by(Section.version)
        }
        periods = [
            str(r["id"]) for r in await Period.select(Period.id).where(Period.draft == draft_id)
        ]
        comments = (
            {
                int(r["draft_version"]): int(r["n"])
                for r in await Comment.select(Comment.draft_version, Count(Comment.id, alias="n"))
                .where(Comment.period.is_in(periods))
                .group_by(Comment.draft_version)
            }
            if periods
            else {}
        )
        return [
            VersionView(
                number=int(r["number"]),
                note=str(r["note"]),
                created_at=r["created_at"],
                sections=sections.get(str(r["id"]), 0),
                comments=comments.get(int(r["number"]), 0),
            )
            for r in rows
        ]

    async def version_publishers(self, draft_id: uuid.UUID) -> dict[int, str]:
        """Who published each version (pseudonymous subjects; for the draft's officials)."""
        rows = await DraftVersion.select(DraftVersion.number, DraftVersion.published_by).where(
            DraftVersion.draft == draft_id
        )
        return {int(r["number"]): str(r["published_by"]) for r in rows}

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
                Attachment.removed_at,
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
        if row["removed_at"] is not None:
            raise GoneError(
                "attachment-removed",
                "The attachment was removed",
                "An official of the draft's organisation removed this file; the draft lists "
                "its name, size and SHA-256 with the time of removal.",
            )
        content = bytes(row.pop("content"))
        view = msgspec.convert(
            {k: row[k] for k in AttachmentView.__struct_fields__}, AttachmentView
        )
        return view, content

    async def remove_attachment(
        self,
        draft_id: uuid.UUID,
        attachment_id: uuid.UUID,
        *,
        managed: Sequence[str],
        now: dt.datetime,
    ) -> AttachmentView:
        """Withdraw a file: its bytes are dropped, its name, size and SHA-256 stay listed with
        the time of removal. No comment period's log names attachments (their entries and the
        board's definition do not), so removing one changes nothing an audit checks; the record
        stays so that readers see what the draft carried while they commented."""
        async with write_transaction(Attachment):
            await self.owned(draft_id, managed)
            removed = (
                await Attachment.update({Attachment.removed_at: now, Attachment.content: b""})
                .where(
                    (Attachment.id == attachment_id)
                    & (Attachment.draft == draft_id)
                    & Attachment.removed_at.is_null()
                )
                .returning(Attachment.id)
            )
            if not removed:
                exists = await Attachment.exists().where(
                    (Attachment.id == attachment_id) & (Attachment.draft == draft_id)
                )
                if not exists:
                    raise NotFoundError(
                        "attachment-not-found", "Attachment not found", "Check the id."
                    )
                raise ConflictError(
                    "attachment-removed", "Already removed", "The attachment was removed before."
                )
        return next(a for a in await self.attachments(draft_id) if a.id == attachment_id)
