"""Wire formats of comment periods: what officials send and what everyone reads."""

from __future__ import annotations

import datetime as dt
import uuid
from enum import StrEnum
from typing import Annotated

import msgspec

from shared.eligibility import Eligibility
from shared.web.schemas import Input, Output

__all__ = (
    "MAX_REASON",
    "MIN_REASON",
    "CommentPeriodIn",
    "CommentPeriodStatus",
    "CommentPeriodView",
    "ExtensionIn",
    "ExtensionView",
    "ScheduleIn",
)

MIN_REASON, MAX_REASON = 3, 2000
"""Characters of an extension's reason, which the public log of extensions shows."""


class CommentPeriodStatus(StrEnum):
    DRAFT = "draft"
    ANNOUNCED = "announced"
    OPEN = "open"
    CLOSED = "closed"
    REPORT_PUBLISHED = "report_published"


class CommentPeriodIn(Input):
    starts_at: dt.datetime
    ends_at: dt.datetime
    eligibility: Eligibility = msgspec.field(default_factory=Eligibility)


class ScheduleIn(Input):
    starts_at: dt.datetime
    ends_at: dt.datetime


class ExtensionIn(Input):
    ends_at: dt.datetime
    reason: Annotated[str, msgspec.Meta(min_length=MIN_REASON, max_length=MAX_REASON)]


class CommentPeriodView(Output):
    id: str
    draft: uuid.UUID
    organisation: str
    status: CommentPeriodStatus
    starts_at: dt.datetime
    ends_at: dt.datetime
    eligibility: Eligibility
    comment_count: int
    created_at: dt.datetime
    opened_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    report_published_at: dt.datetime | None = None
    closed_roll: bool = False
    """Only the people on a closed roll may comment. The roll itself (``eligibility.roll``)
    is shown only to the officials who manage the period; everyone else gets null there."""


class ExtensionView(Output):
    previous_end: dt.datetime
    new_end: dt.datetime
    reason: str
    decided_at: dt.datetime
