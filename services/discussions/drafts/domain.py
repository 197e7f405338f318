"""Drafts: creation, versions with their sections, attachments. No HTTP here."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import msgspec

from services.discussions.comment_periods.store import CommentPeriodStore
from services.discussions.comments.store import CommentStore
from services.discussions.drafts.files import check_file
from services.discussions.drafts.importers import ParsedSection, check_sections
from services.discussions.drafts.schemas import (
    AttachmentView,
    DraftDetail,
    DraftSummary,
    SectionView,
    VersionView,
)
from services.discussions.drafts.store import DraftStore, Row
from services.discussions.errors import (
    ConflictError,
    ForbiddenError,
    GoneError,
    InvalidError,
    NotFoundError,
)
from services.discussions.pagination import Page, decode_cursor, encode_cursor
from shared.recent_reads import RecentReads

__all__ = ("MAX_VERSIONS", "DraftsService")

MAX_VERSIONS = 200
"""Most versions one draft may have (a draft's version list is read in one piece)."""


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


def _summary(row: Row) -> DraftSummary:
    return msgspec.convert(
        {k: row[k] for k in DraftSummary.__struct_fields__}, DraftSummary, from_attributes=False
    )


def _version_not_found() -> NotFoundError:
    return NotFoundError("version-not-found", "Version not found", "Check the version number.")


def _draft_not_found() -> NotFoundError:
    return NotFoundError("draft-not-found", "Draft not found", "Check the draft id.")


class DraftsService:
    """Everything about drafts; callers pass the organisations the actor may manage."""

    def __init__(
        self,
        store: DraftStore | None = None,
        period_store: CommentPeriodStore | None = None,
        comment_store: CommentStore | None = None,
        recent_s: float = 1.0,
    ) -> None:
        self.store = store or DraftStore()
        self.period_store = period_store or CommentPeriodStore()
        self.comment_store = comment_store or CommentStore()
        self._recent: RecentReads[DraftDetail] = RecentReads(self._current, recent_s)

    async def _current(self, draft_id: str) -> DraftDetail | None:
        try:
            return await self.get(uuid.UUID(draft_id))
        except NotFoundError:
            return None

    async def recent(self, draft_id: uuid.UUID) -> DraftDetail:
        """The draft's current version as read at most ``recent_s`` ago
        (:mod:`shared.recent_reads`), for the discussion pages every citizen opens: reading
        it afresh takes five queries. This replica's own changes show at once; another's
        within ``recent_s``. Never for deciding a change."""
        found = await self._recent.get(str(draft_id))
        if found is None:
            raise _draft_not_found()
        return found

    async def _draft_row(self, draft_id: uuid.UUID) -> Row:
        row = await self.store.get(draft_id)
        if row is None:
            raise _draft_not_found()
        return row

    async def owned(self, draft_id: uuid.UUID, managed: Sequence[str]) -> Row:
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
        async with self.store.transaction():
            await self.store.insert(
                {
                    "id": draft_id,
                    "organisation": organisation,
                    "title": title,
                    "kind": kind,
                    "summary": summary,
                    "official_position": official_position,
                    "current_version": 1,
                    "created_at": now,
                }
            )
            await self.store.insert_version(
                draft_id, number=1, note="", sections=sections, now=now, by=by
            )
        return await self.get(draft_id)

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
        async with self.store.transaction():
            row = await self.owned(draft_id, managed)
            _check_text(sections, note=note)
            number = int(str(row["current_version"])) + 1
            if number > MAX_VERSIONS:
                raise ConflictError(
                    "too-many-versions",
                    "The draft has as many versions as it may",
                    f"A draft keeps at most {MAX_VERSIONS} versions; start a new draft.",
                )
            await self.store.insert_version(
                draft_id, number=number, note=note, sections=sections, now=now, by=by
            )
            await self.store.set_current_version(draft_id, number)
        self._recent.forget(str(draft_id))
        return await self.get(draft_id)

    async def versions(self, draft_id: uuid.UUID) -> list[VersionView]:
        """Every version of the draft, oldest first, with its section and comment counts."""
        await self._draft_row(draft_id)
        rows = await self.store.versions(draft_id)
        # Every draft has its first version, so the list is never empty.
        sections = await self.store.section_counts([r["id"] for r in rows])
        periods = await self.period_store.ids_of_draft(draft_id)
        comments = await self.comment_store.counts_by_version(periods) if periods else {}
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
        rows = await self.store.versions(draft_id)
        return {int(r["number"]): str(r["published_by"]) for r in rows}

    async def version_id(self, draft_id: uuid.UUID, number: int) -> uuid.UUID:
        version = await self.store.version_id(draft_id, number)
        if version is None:
            raise _version_not_found()
        return version

    async def current_anchors(self, draft_id: uuid.UUID) -> tuple[int, set[str]]:
        """The current version's number and the anchors of its sections, read now."""
        found = await self.store.current_anchors(draft_id)
        if found is None:
            raise _version_not_found()
        return found

    async def get(self, draft_id: uuid.UUID, version: int | None = None) -> DraftDetail:
        row = await self._draft_row(draft_id)
        number = version or int(str(row["current_version"]))
        sections = await self.store.sections(await self.version_id(draft_id, number))
        versions = await self.store.versions(draft_id)
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
        rows = [
            _summary(r)
            for r in await self.store.listing(
                organisation=organisation, after=decode_cursor(cursor), limit=limit + 1
            )
        ]
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
        await self.store.insert_attachment(
            {
                "id": attachment_id,
                "draft": draft_id,
                "filename": checked.filename,
                "media_type": checked.media_type,
                "size": checked.size,
                "sha256": checked.sha256,
                "content": data,
                "created_at": now,
            }
        )
        self._recent.forget(str(draft_id))
        return AttachmentView(
            id=attachment_id,
            filename=checked.filename,
            media_type=checked.media_type,
            size=checked.size,
            sha256=checked.sha256,
        )

    async def attachments(self, draft_id: uuid.UUID) -> list[AttachmentView]:
        return [msgspec.convert(r, AttachmentView) for r in await self.store.attachments(draft_id)]

    async def attachment_content(
        self, draft_id: uuid.UUID, attachment_id: uuid.UUID
    ) -> tuple[AttachmentView, bytes]:
        row = await self.store.attachment(draft_id, attachment_id)
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
        async with self.store.transaction():
            await self.owned(draft_id, managed)
            if not await self.store.remove_attachment(draft_id, attachment_id, now):
                if not await self.store.has_attachment(draft_id, attachment_id):
                    raise NotFoundError(
                        "attachment-not-found", "Attachment not found", "Check the id."
                    )
                raise ConflictError(
                    "attachment-removed", "Already removed", "The attachment was removed before."
                )
        self._recent.forget(str(draft_id))
        return next(a for a in await self.attachments(draft_id) if a.id == attachment_id)
