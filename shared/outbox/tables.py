"""Persistence of messages waiting to be delivered, and how one is recorded.

Writing the message in the same transaction as the change means a notification is never lost
(the change committed) nor sent for nothing (the change rolled back).
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import msgspec
from piccolo.columns import UUID, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("enqueue", "make_outbox_table")


def make_outbox_table() -> type[Table]:
    """A fresh table class per service, so each binds to its own engine."""

    class OutboxMessage(Table, tablename="outbox_message"):
        """A message written in the same transaction as the change it announces."""

        id = UUID(primary_key=True, default=uuid.uuid4)
        topic = Varchar(length=64)
        payload = Text(help_text="JSON body sent to the webhook.")
        created_at = Timestamptz()
        attempts = Integer(default=0)
        next_attempt_at = Timestamptz(help_text="Not retried before this time.")
        delivered_at = Timestamptz(null=True, default=None)
        last_error = Text(default="")

    return OutboxMessage


async def enqueue(
    table: type[Table],
    topic: str,
    payload: dict[str, Any],
    now: dt.datetime,
    *,
    message_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Record a message; call inside the transaction of the change it announces.

    A caller that may repeat itself (a fan-out retried after a crash) names the message
    (``message_id``, derived from what it answers): a message already recorded stays as it is.
    """
    message_id = message_id or uuid.uuid4()
    body = {"id": str(message_id), "topic": topic, **payload}
    await table.insert(
        table(
            id=message_id,
            topic=topic,
            payload=msgspec.json.encode(body).decode(),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    ).on_conflict(action="DO NOTHING")
    return message_id
