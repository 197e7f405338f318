"""Persistence of drafts: the draft, its versions, their numbered sections, attachments."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, BigInt, Bytea, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("Attachment", "Draft", "DraftVersion", "Section")


class Draft(Table, tablename="draft"):
    """A draft regulation (проект НПА) owned by an organisation."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    organisation = Varchar(length=64, index=True, help_text="Slug of the owning organisation.")
    title = Varchar(length=500)
    kind = Varchar(length=100, help_text="постановление, решение, …")
    summary = Text()
    official_position = Varchar(length=300, help_text="Position of the responsible official.")
    current_version = Integer(default=1, help_text="Number of the version now shown.")
    created_at = Timestamptz()


class DraftVersion(Table, tablename="draft_version"):
    """One published text of a draft; comments stay linked to the version they were made on."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    draft = UUID(index=True)
    number = Integer(help_text="1, 2, … UNIQUE with the draft.")
    note = Text(default="", help_text="What changed in this version.")
    created_at = Timestamptz()
    published_by = Varchar(
        length=128,
        default="",
        help_text="Pseudonymous subject of the official who published it ('' before recorded).",
    )


class Section(Table, tablename="draft_section"):
    """A numbered section of one version; its anchor is stable across versions."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    version = UUID(index=True)
    position = Integer(help_text="Order within the version.")
    number = Varchar(length=32, help_text="Shown number, e.g. 2.1.")
    anchor = Varchar(length=64, help_text="Stable id of the section, e.g. p2-1.")
    heading = Varchar(length=500)
    body = Text()


class Attachment(Table, tablename="draft_attachment"):
    """A PDF, DOCX or ODT file attached to a draft, checked by content and hashed."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    draft = UUID(index=True)
    filename = Varchar(length=255)
    media_type = Varchar(length=100)
    size = BigInt()
    sha256 = Varchar(length=64, help_text="Hex SHA-256 of the file, shown to readers.")
    content = Bytea(help_text="Emptied when the attachment is removed.")
    created_at = Timestamptz()
    removed_at = Timestamptz(
        null=True,
        default=None,
        help_text="When an official removed it; the row stays so its name and hash stay listed.",
    )
