"""Reading and writing drafts, their versions, sections and attachments; the only module that
touches their tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from piccolo.query.functions.aggregate import Count

from services.discussions.db import write_transaction
from services.discussions.drafts.importers import ParsedSection
from services.discussions.drafts.tables import Attachment, Draft, DraftVersion, Section
from services.discussions.pagination import Cursor

__all__ = ("DraftStore", "Row")

Row = dict[str, Any]
"""A row's columns by name."""


_CURRENT_ANCHORS = (
    "SELECT d.current_version AS version, s.anchor AS anchor FROM draft d "
    "JOIN draft_version v ON v.draft = d.id AND v.number = d.current_version "
    "LEFT JOIN draft_section s ON s.version = v.id WHERE d.id = {}"
)
"""The current version's number and its sections' anchors, in one raw query: what every
comment is checked against (Piccolo's three selects cost more to build than to run)."""


class DraftStore:
    def transaction(self) -> Any:
        return write_transaction(Draft)

    async def current_anchors(self, draft_id: uuid.UUID) -> tuple[int, set[str]] | None:
        """The number of the draft's current version and the anchors of its sections; None
        if there is no such draft or version."""
        rows = await Draft.raw(_CURRENT_ANCHORS, draft_id)
        if not rows:
            return None
        return int(rows[0]["version"]), {str(r["anchor"]) for r in rows if r["anchor"] is not None}

    async def get(self, draft_id: uuid.UUID) -> Row | None:
        row = await Draft.select().where(Draft.id == draft_id).first()
        return None if row is None else dict(row)

    async def insert(self, row: Row) -> None:
        await Draft.insert(Draft(**row))

    async def set_current_version(self, draft_id: uuid.UUID, number: int) -> None:
        await Draft.update({Draft.current_version: number}).where(Draft.id == draft_id)

    async def listing(
        self, *, organisation: str | None, after: Cursor | None, limit: int
    ) -> list[Row]:
        """Drafts in creation order (ties by id), after the cursor, at most ``limit``."""
        query = Draft.select().order_by(Draft.created_at, Draft.id).limit(limit)
        if organisation:
            query = query.where(Draft.organisation == organisation)
        if after is not None:
            query = query.where(
                (Draft.created_at > after.at)
                | ((Draft.created_at == after.at) & (Draft.id > after.id))
            )
        return [dict(r) for r in await query]

    async def insert_version(
        self,
        draft_id: uuid.UUID,
        *,
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

    async def versions(self, draft_id: uuid.UUID) -> list[Row]:
        """The draft's versions, oldest first."""
        rows = (
            await DraftVersion.select()
            .where(DraftVersion.draft == draft_id)
            .order_by(DraftVersion.number)
        )
        return [dict(r) for r in rows]

    async def version_id(self, draft_id: uuid.UUID, number: int) -> uuid.UUID | None:
        row = (
            await DraftVersion.select(DraftVersion.id)
            .where((DraftVersion.draft == draft_id) & (DraftVersion.number == number))
            .first()
        )
        return None if row is None else uuid.UUID(str(row["id"]))

    async def section_counts(self, version_ids: Sequence[uuid.UUID]) -> dict[str, int]:
        """How many sections each version has, by the version's id as text."""
        rows = (
            await Section.select(Section.version, Count(Section.id, alias="n"))
            .where(Section.version.is_in(list(version_ids)))
            .group_by(Section.version)
        )
        return {str(r["version"]): int(r["n"]) for r in rows}

    async def sections(self, version_id: uuid.UUID) -> list[Row]:
        """The version's sections in order: number, anchor, heading, body."""
        rows = await (
            Section.select(Section.number, Section.anchor, Section.heading, Section.body)
            .where(Section.version == version_id)
            .order_by(Section.position)
        )
        return [dict(r) for r in rows]

    async def insert_attachment(self, row: Row) -> None:
        await Attachment.insert(Attachment(**row))

    async def attachments(self, draft_id: uuid.UUID) -> list[Row]:
        """The draft's attachments without their bytes, oldest first."""
        rows = await (
            Attachment.select(*Attachment.all_columns(exclude=[Attachment.content]))
            .where(Attachment.draft == draft_id)
            .order_by(Attachment.created_at)
        )
        return [dict(r) for r in rows]

    async def attachment(self, draft_id: uuid.UUID, attachment_id: uuid.UUID) -> Row | None:
        """One attachment of the draft with its bytes."""
        row = (
            await Attachment.select()
            .where((Attachment.draft == draft_id) & (Attachment.id == attachment_id))
            .first()
        )
        return None if row is None else dict(row)

    async def remove_attachment(
        self, draft_id: uuid.UUID, attachment_id: uuid.UUID, now: dt.datetime
    ) -> bool:
        """Drop the bytes and stamp the removal; False if there was no such file left."""
        removed = (
            await Attachment.update({Attachment.removed_at: now, Attachment.content: b""})
            .where(
                (Attachment.id == attachment_id)
                & (Attachment.draft == draft_id)
                & Attachment.removed_at.is_null()
            )
            .returning(Attachment.id)
        )
        return bool(removed)

    async def has_attachment(self, draft_id: uuid.UUID, attachment_id: uuid.UUID) -> bool:
        return bool(
            await Attachment.exists().where(
                (Attachment.id == attachment_id) & (Attachment.draft == draft_id)
            )
        )
