"""The outbox: notifications recorded with the change, delivered later with retries.

Writing the message in the same transaction as the response means a notification is never
lost (the response committed) nor sent for nothing (the response rolled back). Delivery is
at least once; receivers de-duplicate on the message ``id``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import httpx
import msgspec
import structlog
from litestar import Litestar

from services.discussions.db import utcnow
from services.discussions.outbox.tables import OutboxMessage
from shared.lease import Lease
from shared.periodic import background_lifespan, run_periodically

__all__ = ("OutboxDelivery", "enqueue", "retry_delay")

_log = structlog.get_logger("vmeste.discussions.outbox")
MAX_DELAY_S = 600


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential back-off: 1 s, 2 s, 4 s … capped at ten minutes."""
    return dt.timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_DELAY_S))


async def enqueue(topic: str, payload: dict[str, Any], now: dt.datetime) -> uuid.UUID:
    """Record a message; call inside the transaction of the change it announces."""
    message_id = uuid.uuid4()
    body = {"id": str(message_id), "topic": topic, **payload}
    await OutboxMessage.insert(
        OutboxMessage(
            id=message_id,
            topic=topic,
            payload=msgspec.json.encode(body).decode(),
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
    )
    return message_id


class OutboxDelivery:
    """Posts due messages to the webhook, one replica at a time (lease), retrying failures."""

    def __init__(
        self,
        webhook_url: str | None,
        lease: Lease,
        interval_s: float = 1.0,
        batch: int = 50,
        timeout_s: float = 5.0,
    ) -> None:
        self.webhook_url = webhook_url
        self.lease = lease
        self.interval_s = interval_s
        self.batch = batch
        self.timeout_s = timeout_s

    async def deliver_due(self, client: httpx.AsyncClient, now: dt.datetime) -> int:
        """Try every due message once; returns how many were delivered."""
        if self.webhook_url is None:
            return 0
        due = await (
            OutboxMessage.select(OutboxMessage.id, OutboxMessage.payload, OutboxMessage.attempts)
            .where(OutboxMessage.delivered_at.is_null() & (OutboxMessage.next_attempt_at <= now))
            .order_by(OutboxMessage.created_at)
            .limit(self.batch)
        )
        delivered = 0
        for message in due:
            error = ""
            try:
                response = await client.post(
                    self.webhook_url,
                    content=str(message["payload"]).encode(),
                    headers={
                        "content-type": "application/json",
                        "idempotency-key": str(message["id"]),
                    },
                    timeout=self.timeout_s,
                )
                if not response.is_success:
                    error = f"HTTP {response.status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"
            attempts = int(message["attempts"]) + 1
            if error:
                await OutboxMessage.update(
                    {
                        OutboxMessage.attempts: attempts,
                        OutboxMessage.last_error: error[:500],
                        OutboxMessage.next_attempt_at: now + retry_delay(attempts),
                    }
                ).where(OutboxMessage.id == message["id"])
                _log.warning("webhook delivery failed", message=str(message["id"]), error=error)
            else:
                await OutboxMessage.update(
                    {OutboxMessage.attempts: attempts, OutboxMessage.delivered_at: now}
                ).where(OutboxMessage.id == message["id"])
                delivered += 1
        return delivered

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient() as client:

            async def deliver() -> None:
                if await self.lease.acquire():
                    await self.deliver_due(client, utcnow())

            await run_periodically(
                deliver, self.interval_s, stop, "outbox delivery round", self.lease.release
            )

    @property
    def lifespan(self) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
        return background_lifespan("outbox-delivery", self.run)
