"""The discussions outbox: an author's notifications recorded with the change (a moderation
decision, a response, a published report) and posted later, signed by the Standard Webhooks
scheme, to polls' notifications inbox (which holds people's preferences, addresses and in-app
lists: see :mod:`services.polls.notifications`) and to the operator's webhook.

The mechanism is :mod:`shared.outbox`; this module says where messages go, the store keeps them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from services.discussions.outbox.store import OutboxStore
from shared.lease import Lease
from shared.outbox import OutboxDelivery, QueuedMessage
from shared.outbox.webhooks import WebhookSender

__all__ = ("discussions_delivery",)


def discussions_delivery(
    receivers: Sequence[WebhookSender],
    lease: Lease,
    interval_s: float,
    store: OutboxStore | None = None,
) -> OutboxDelivery | None:
    """Delivery to every receiver in turn (polls' inbox first: citizens wait for it). A
    message is done once all have taken it; until then each attempt posts it to all again,
    with the same webhook-id, which receivers de-duplicate on. With no receiver configured
    there is no delivery at all: messages are kept, and go out once one is."""
    if not receivers:
        return None

    async def deliver(message: QueuedMessage, now: dt.datetime) -> None:
        for receiver in receivers:
            await receiver.post(message, now)

    return (store or OutboxStore()).delivery(deliver, lease, interval_s)
