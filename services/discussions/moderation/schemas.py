"""Wire formats of moderation: the queue a moderator reads and the decision they send."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated

import msgspec

from services.discussions.comments.schemas import CommentView
from shared.web.schemas import Input, Output

__all__ = ("Decision", "DecisionIn", "DecisionOut", "PendingComment", "RejectReason")


class RejectReason(StrEnum):
    PROFANITY = "profanity"
    PERSONAL_DATA = "personal_data"
    OFF_TOPIC = "off_topic"
    DUPLICATE = "duplicate"
    SPAM = "spam"


class Decision(StrEnum):
    PUBLISH = "publish"
    REJECT = "reject"


class DecisionIn(Input):
    decision: Decision
    reason: RejectReason | None = None
    """Required to reject: profanity, personal_data, off_topic, duplicate, spam."""
    note: Annotated[str, msgspec.Meta(max_length=2000)] = ""


class DecisionOut(Output):
    id: uuid.UUID
    status: str


class PendingComment(CommentView, kw_only=True):
    tracking_code: str
