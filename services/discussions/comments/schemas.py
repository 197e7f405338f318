"""Wire formats of comments: what a participant sends, the receipt, the lists people read."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from typing import Annotated

import msgspec

from services.discussions.responses.schemas import EarlierResponseView
from shared.comment_period.entry import Stance
from shared.web.schemas import Input, Output

__all__ = (
    "MAX_TEXT",
    "CommentFilters",
    "CommentIn",
    "CommentView",
    "MyComment",
    "PublicComment",
    "RatingIn",
    "SubmittedComment",
)

MAX_TEXT = 5000
"""Longest comment text and proposed wording, in characters."""


@dataclass(frozen=True, slots=True)
class CommentFilters:
    """Which published comments a list shows (query parameters ``section``, ``stance`` and
    ``disposition``); None leaves one open, "" matches the empty column."""

    section: str | None = None
    stance: str | None = None
    disposition: str | None = None

    def columns(self) -> dict[str, str | None]:
        """Each filter by the comment column it compares."""
        return {"section": self.section, "stance": self.stance, "disposition": self.disposition}


class CommentIn(Input):
    stance: Stance
    text: Annotated[str, msgspec.Meta(min_length=1, max_length=MAX_TEXT)]
    section: Annotated[str, msgspec.Meta(max_length=64)] = ""
    """Anchor of the section, or empty for the whole draft."""
    proposed_wording: Annotated[str, msgspec.Meta(max_length=MAX_TEXT)] = ""


class RatingIn(Input):
    rating: Annotated[int, msgspec.Meta(ge=1, le=5)]


class SubmittedComment(Output):
    id: uuid.UUID
    period: str
    tracking_code: str
    entry_hash: str
    """Hex leaf hash of the log entry."""
    receipt: str
    """Signed receipt (C2SP signed note), verifiable with /api/v1/keys."""
    accepted_at: dt.datetime
    status: str = "pending"


class CommentView(Output):
    """What anyone may read of a published comment: its words and the response to it."""

    id: uuid.UUID
    period: str
    draft_version: int
    section: str
    stance: str
    text: str
    proposed_wording: str
    submitted_at: dt.datetime
    disposition: str
    justification: str


class PublicComment(CommentView, kw_only=True):
    responded_at: dt.datetime | None = None
    """When the response (or its latest correction) was given."""
    earlier_responses: list[EarlierResponseView] = msgspec.field(default_factory=list)
    """Responses an official corrected, oldest first."""

    @property
    def shown_as(self) -> tuple[object, ...]:
        """Everything of the comment a page shows that can change: only its response, as its
        words never change once sent (each correction of the response sets a new
        ``responded_at``). Pages render a comment once per this and language (``{% kept %}``)."""
        return (
            self.id,
            self.responded_at,
            self.disposition,
            self.justification,
            len(self.earlier_responses),
        )


class MyComment(PublicComment, kw_only=True):
    tracking_code: str
    status: str
    reject_reason: str
    rating: int | None
    rating_tracking_code: str | None = None
    """Tracking code of the rating's entry in the period's log (None before ratings were
    logged): the author can check that their rating is in the log."""
