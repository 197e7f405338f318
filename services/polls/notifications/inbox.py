"""Discussions' events arriving at polls: checked (Standard Webhooks signature under the
shared notifications secret) and written into polls' own outbox under the sender's message
id, so a repeated post (discussions retries until it sees a 2xx) is recorded once and fanned
out once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping

import msgspec
from piccolo.table import Table

from services.polls.errors import PollsError
from shared.outbox import enqueue
from shared.outbox.webhooks import InvalidWebhookError, verify

__all__ = ("ACCEPTED_TOPICS", "NotificationInbox")

ACCEPTED_TOPICS = frozenset({"comment.responded", "period.report_published"})


class NotificationInbox:
    def __init__(self, outbox: type[Table], key: bytes | None) -> None:
        self.outbox = outbox
        self.key = key

    async def receive(self, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> None:
        if self.key is None:
            # Nothing can be authenticated; the sender keeps the event and retries.
            raise PollsError(
                401,
                "bad-webhook-signature",
                "Signature refused",
                "No notifications secret is configured here: set VMESTE_NOTIFICATIONS_SECRET "
                "on both services.",
            )
        try:
            message_id = verify(self.key, headers, body, now)
        except InvalidWebhookError as exc:
            raise PollsError(401, "bad-webhook-signature", "Signature refused", f"{exc}.") from None
        try:
            event = msgspec.json.decode(body, type=dict[str, object])
            event_id = uuid.UUID(message_id)
        except (msgspec.DecodeError, ValueError):
            raise PollsError(
                400, "bad-event", "Malformed event", "Send a JSON object with a UUID webhook-id."
            ) from None
        topic = str(event.get("topic", ""))
        if topic not in ACCEPTED_TOPICS:
            return  # discussions' other events (moderation) notify nobody here
        payload = {k: v for k, v in event.items() if k not in ("id", "topic")}
        await enqueue(self.outbox, topic, payload, now, message_id=event_id)
