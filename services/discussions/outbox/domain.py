"""The discussions outbox: an author's notifications recorded with the change (a moderation
decision, a response, a published report) and posted later, signed, to the webhook.

The mechanism is :mod:`shared.outbox`; this module names the table and where messages go.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.discussions.outbox.tables import OutboxMessage
from shared.lease import Lease
from shared.outbox import OutboxDelivery, QueuedMessage
from shared.outbox import enqueue as enqueue_in
from shared.outbox.webhooks import WebhookSender

__all__ = ("discussions_delivery", "enqueue")


async def enqueue(topic: str, payload: dict[str, Any], now: dt.datetime) -> uuid.UUID:
    """Record a message; call inside the transaction of the change it announces."""
    return await enqueue_in(OutboxMessage, topic, payload, now)


def discussions_delivery(
    webhook: WebhookSender | None, lease: Lease, interval_s: float
) -> OutboxDelivery | None:
    """Delivery to the webhook. With none configured there is no delivery at all: messages
    are kept, and go out once the operator configures a receiver."""
    if webhook is None:
        return None

    async def deliver(message: QueuedMessage, now: dt.datetime) -> None:
        await webhook.post(message, now)

    return OutboxDelivery(OutboxMessage, deliver, lease, interval_s)
