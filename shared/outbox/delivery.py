"""Delivering the outbox: every due message handed to the service's ``deliver`` function,
failures retried with exponential back-off, one replica at a time.

Delivery is at least once: a replica that dies after ``deliver`` succeeded and before the row
was marked delivered sends the message again. Receivers de-duplicate on the message id (the
webhook's ``webhook-id``, an e-mail's Message-ID, a notification's primary key).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import msgspec
import structlog
from litestar import Litestar
from piccolo.table import Table

from shared.lease import Lease
from shared.periodic import background_lifespan, run_periodically

__all__ = ("DeliveryFailedError", "OutboxDelivery", "QueuedMessage", "retry_delay")

_log = structlog.get_logger("vmeste.outbox")
MAX_DELAY_S = 600


def retry_delay(attempts: int) -> dt.timedelta:
    """Exponential back-off: 1 s, 2 s, 4 s … capped at ten minutes."""
    return dt.timedelta(seconds=min(2 ** max(attempts - 1, 0), MAX_DELAY_S))


class DeliveryFailedError(Exception):
    """Raised by a ``deliver`` function: the message is retried later. The text is kept on the
    row for the operator, so it must never carry personal data (no e-mail address)."""


class QueuedMessage(msgspec.Struct, frozen=True, kw_only=True):
    """One message as ``deliver`` sees it: the id receivers de-duplicate on, and the JSON body
    exactly as recorded (``body`` is what a webhook posts byte for byte)."""

    id: uuid.UUID
    topic: str
    body: bytes
    created_at: dt.datetime
    attempts: int

    def payload(self) -> dict[str, Any]:
        decoded: dict[str, Any] = msgspec.json.decode(self.body)
        return decoded


Deliver = Callable[[QueuedMessage, dt.datetime], Awaitable[None]]


class OutboxDelivery:
    """Hands due messages to ``deliver``, one replica at a time (lease), retrying failures."""

    def __init__(
        self,
        table: type[Table],
        deliver: Deliver,
        lease: Lease,
        interval_s: float = 1.0,
        batch: int = 50,
        name: str = "outbox-delivery",
    ) -> None:
        self.table = table
        self.deliver = deliver
        self.lease = lease
        self.interval_s = interval_s
        self.batch = batch
        self.name = name

    async def deliver_due(self, now: dt.datetime) -> int:
        """Try every due message once; returns how many were delivered."""
        t: Any = self.table
        due = await (
            t.select(t.id, t.topic, t.payload, t.created_at, t.attempts)
            .where(t.delivered_at.is_null() & (t.next_attempt_at <= now))
            .order_by(t.created_at)
            .limit(self.batch)
        )
        delivered = 0
        for row in due:
            message = QueuedMessage(
                id=row["id"],
                topic=row["topic"],
                body=str(row["payload"]).encode(),
                created_at=row["created_at"],
                attempts=int(row["attempts"]),
            )
            attempts = message.attempts + 1
            try:
                await self.deliver(message, now)
            except DeliveryFailedError as exc:
                error = str(exc)[:500]
                await t.update(
                    {
                        t.attempts: attempts,
                        t.last_error: error,
                        t.next_attempt_at: now + retry_delay(attempts),
                    }
                ).where(t.id == message.id)
                _log.warning(
                    "outbox delivery failed",
                    message=str(message.id),
                    topic=message.topic,
                    attempts=attempts,
                    error=error,
                )
                continue
            await t.update({t.attempts: attempts, t.delivered_at: now}).where(t.id == message.id)
            delivered += 1
        return delivered

    async def run(self, stop: asyncio.Event) -> None:
        async def deliver() -> None:
            if await self.lease.acquire():
                await self.deliver_due(dt.datetime.now(dt.UTC))

        await run_periodically(
            deliver, self.interval_s, stop, f"{self.name} round", self.lease.release
        )

    @property
    def lifespan(self) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
        return background_lifespan(self.name, self.run)
