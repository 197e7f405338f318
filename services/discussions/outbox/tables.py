"""Persistence of notifications waiting to be delivered (the transactional outbox)."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("OutboxMessage",)


class OutboxMessage(Table, tablename="outbox_message"):
    """A notification written in the same transaction as the change it announces."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    topic = Varchar(length=64)
    payload = Text(help_text="JSON body sent to the webhook.")
    created_at = Timestamptz()
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(help_text="Not retried before this time.")
    delivered_at = Timestamptz(null=True, default=None)
    last_error = Text(default="")
