"""Recording and delivering the service's outbox messages; the only module that touches the
outbox table."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from services.discussions.outbox.tables import OutboxMessage
from shared.lease import Lease
from shared.outbox import OutboxDelivery
from shared.outbox import enqueue as enqueue_in
from shared.outbox.delivery import Deliver

__all__ = ("OutboxStore",)


class OutboxStore:
    async def enqueue(self, topic: str, payload: dict[str, Any], now: dt.datetime) -> uuid.UUID:
        """Record a message; call inside the transaction of the change it announces."""
        return await enqueue_in(OutboxMessage, topic, payload, now)

    def delivery(self, deliver: Deliver, lease: Lease, interval_s: float) -> OutboxDelivery:
        """Delivery of the recorded messages, one replica at a time (the lease's holder)."""
        return OutboxDelivery(OutboxMessage, deliver, lease, interval_s)
