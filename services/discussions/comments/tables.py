"""Persistence of comments: the text, the link to the author, moderation and response."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Bytea, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("IDEMPOTENCY_INDEX", "Comment")


IDEMPOTENCY_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS comment_once_per_key ON comment (period, idempotency_key)"
)
"""A retried submission (same author and Idempotency-Key) can never make a second comment."""


class Comment(Table, tablename="comment"):
    """One comment. The author's pseudonymous subject lives only here (for "my comments"
    and notifications), never in the log entry."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    period = Varchar(length=64)
    draft_version = Integer()
    section = Varchar(length=64, default="", help_text="Section anchor, '' for the whole draft.")
    stance = Varchar(length=20)
    text = Text()
    proposed_wording = Text(default="")
    salt = Bytea(help_text="Secret opening of the entry's content commitment.")
    entry_hash = Bytea(unique=True, help_text="Leaf hash of the log entry.")
    tracking_code = Varchar(length=16)
    author = Varchar(length=128, help_text="Pseudonymous subject of the author.")
    status = Varchar(length=12, default="pending", help_text="pending, published, rejected.")
    reject_reason = Varchar(length=20, default="")
    moderator_note = Text(default="")
    moderated_at = Timestamptz(null=True, default=None)
    disposition = Varchar(length=24, default="")
    justification = Text(default="")
    responded_at = Timestamptz(null=True, default=None)
    rating = Integer(null=True, default=None)
    rating_entry_hash = Bytea(
        null=True,
        default=None,
        help_text="Leaf hash of the rating's log entry; NULL for ratings given before "
        "ratings entered the log.",
    )
    submitted_at = Timestamptz()
    idempotency_key = Varchar(
        length=64,
        null=True,
        default=None,
        help_text="SHA-256 of the author and the Idempotency-Key: a retry finds its comment.",
    )
