"""Wire formats of drafts: the text officials send, the draft and its versions as read."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated

import msgspec

from shared.web.schemas import Input, Output

__all__ = (
    "AttachmentView",
    "DraftDetail",
    "DraftIn",
    "DraftSummary",
    "SectionIn",
    "SectionView",
    "TextIn",
    "VersionIn",
    "VersionView",
)

Title = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Short = Annotated[str, msgspec.Meta(max_length=300)]
LongText = Annotated[str, msgspec.Meta(max_length=20_000)]
Body = Annotated[str, msgspec.Meta(max_length=500_000)]


class SectionIn(Input):
    number: Annotated[str, msgspec.Meta(pattern=r"^\d+(\.\d+)*$")]
    heading: Title
    body: Body = ""
    anchor: str | None = None
    """Defaults to one derived from the number (2.1 → p2-1)."""


class TextIn(Input):
    """Either ``sections`` or ``markdown`` (headings open sections)."""

    sections: list[SectionIn] | None = None
    markdown: Body | None = None


class DraftIn(TextIn, kw_only=True):
    organisation: Annotated[str, msgspec.Meta(min_length=1, max_length=64)]
    title: Title
    kind: Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
    summary: LongText = ""
    official_position: Short = ""


class VersionIn(TextIn, kw_only=True):
    note: LongText = ""


class SectionView(Output):
    number: str
    anchor: str
    heading: str
    body: str


class AttachmentView(Output):
    id: uuid.UUID
    filename: str
    media_type: str
    size: int
    sha256: str
    removed_at: dt.datetime | None = None
    """When an official removed it: its name and hash stay listed, its bytes are gone."""


class VersionView(Output):
    number: int
    note: str
    created_at: dt.datetime
    sections: int
    """How many sections this version has."""
    comments: int
    """Comments made on this version, in every comment period of the draft, whatever their
    moderation (each is an entry of its period's public log, which names the version)."""


class DraftSummary(Output):
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
