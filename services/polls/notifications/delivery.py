"""What the polls outbox delivers: events fanned out to the people who asked for them, and
e-mails (notifications and address confirmations) sent through the relay.

Topics: ``poll.opened`` and ``poll.tallied`` (written by the scheduler with the poll's change),
``comment.responded`` and ``period.report_published`` (discussions' events, received by the
inbox), ``email`` (one notification to one person) and ``email.confirmation``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec
import structlog
from piccolo.table import Table

from services.polls.notifications.kinds import Kind
from services.polls.notifications.mailer import Mailer
from services.polls.notifications.preferences import confirmation_token, kinds_of
from services.polls.notifications.tables import Notification, NotificationPreferences
from services.polls.notifications.texts import Links, confirmation_email, render
from services.polls.polls.store import PollRecord, PollStore
from shared.db.transactions import write_transaction
from shared.outbox import DeliveryFailedError, QueuedMessage, enqueue

__all__ = ("EVENT_KINDS", "NotificationDelivery")

_log = structlog.get_logger("vmeste.polls.notifications")

EVENT_KINDS = {
    "poll.opened": Kind.POLL_OPENED,
    "poll.tallied": Kind.RESULT,
    "comment.responded": Kind.RESPONSE,
    "period.report_published": Kind.RESULT,
}
"""Which kind of notification each event is."""


def _notified(row: dict[str, Any], kind: str) -> tuple[bool, bool]:
    """(in the app, by e-mail) for one person's preferences."""
    return kind in kinds_of(row["in_app_kinds"]), (
        kind in kinds_of(row["email_kinds"]) and bool(row["email"])
    )


def _in_territory(oktmo: str, poll: PollRecord) -> bool:
    territory = poll.eligibility.territory or poll.organisation_territory
    return not territory or any(oktmo.startswith(prefix) for prefix in territory)


class NotificationDelivery:
    def __init__(
        self,
        outbox: type[Table],
        polls: PollStore,
        mailer: Mailer | None,
        links: Links,
        confirmation_key: bytes,
    ) -> None:
        self.outbox = outbox
        self.polls = polls
        self.mailer = mailer
        self.links = links
        self.key = confirmation_key

    async def deliver(self, message: QueuedMessage, now: dt.datetime) -> None:
        payload = message.payload()
        if message.topic == "email":
            await self._email(message.id, payload)
        elif message.topic == "email.confirmation":
            await self._confirmation(message.id, payload)
        elif message.topic in ("poll.opened", "poll.tallied"):
            poll = await self.polls.get(str(payload.get("poll", "")))
            if poll is None:
                return
            facts = {"poll": poll.id, "title": poll.title, "closes_at": poll.closes_at.isoformat()}
            roll = poll.eligibility.roll
            await self._fan_out(
                message.id,
                EVENT_KINDS[message.topic],
                facts,
                now,
                lambda row: (
                    _in_territory(row["oktmo"], poll) and (roll is None or row["sub"] in roll)
                ),
            )
        elif message.topic in ("comment.responded", "period.report_published"):
            people = payload.get("authors") or [payload.get("author", "")]
            facts = {k: v for k, v in payload.items() if k not in ("author", "authors", "id")}
            wanted = {str(p) for p in people}
            await self._fan_out(
                message.id,
                EVENT_KINDS[message.topic],
                facts,
                now,
                lambda row: row["sub"] in wanted,
                subs=wanted,
            )

    async def _fan_out(
        self,
        event: uuid.UUID,
        kind: str,
        facts: dict[str, Any],
        now: dt.datetime,
        chosen: Any,
        subs: Iterable[str] | None = None,
    ) -> None:
        """Every person who asked for ``kind`` and is ``chosen`` gets an in-app entry and/or an
        e-mail message, all in one transaction; ids derive from the event, so a repeat (a
        crash before the event was marked delivered) adds nothing."""
        p = NotificationPreferences
        # Only people who chose this kind somewhere (no kind's name is part of another's).
        asked = p.in_app_kinds.like(f"%{kind}%") | p.email_kinds.like(f"%{kind}%")
        query = p.select(p.sub, p.oktmo, p.in_app_kinds, p.email_kinds, p.email).where(asked)
        if subs is not None:
            query = query.where(p.sub.is_in(list(subs) or [""]))
        rows = [row for row in await query if chosen(row)]
        async with write_transaction(Notification):
            for row in rows:
                in_app, by_email = _notified(row, kind)
                if in_app:
                    await Notification.insert(
                        Notification(
                            id=uuid.uuid5(event, f"in-app\n{row['sub']}"),
                            sub=row["sub"],
                            kind=kind,
                            payload=_json(facts),
                            created_at=now,
                        )
                    ).on_conflict(action="DO NOTHING")
                if by_email:
                    await enqueue(
                        self.outbox,
                        "email",
                        {"sub": row["sub"], "kind": kind, "facts": facts},
                        now,
                        message_id=uuid.uuid5(event, f"email\n{row['sub']}"),
                    )

    async def _preferences(self, sub: str) -> dict[str, Any] | None:
        row: dict[str, Any] | None = (
            await NotificationPreferences.select().where(NotificationPreferences.sub == sub).first()
        )
        return row

    def _mailer(self) -> Mailer:
        if self.mailer is None:
            # Kept and retried: once the operator configures a relay, it goes out.
            raise DeliveryFailedError("no SMTP relay configured")
        return self.mailer

    async def _email(self, message_id: uuid.UUID, payload: dict[str, Any]) -> None:
        row = await self._preferences(str(payload.get("sub", "")))
        kind = str(payload.get("kind", ""))
        if row is None or not row["email"] or kind not in kinds_of(row["email_kinds"]):
            return  # opted out since: nothing to send, nobody to send it to
        text = render(kind, dict(payload.get("facts", {})), row["language"], self.links)
        await self._mailer().send(message_id, row["email"], text.subject, text.body)

    async def _confirmation(self, message_id: uuid.UUID, payload: dict[str, Any]) -> None:
        sub = str(payload.get("sub", ""))
        row = await self._preferences(sub)
        if row is None or not row["pending_email"] or row["pending_nonce"] != payload.get("nonce"):
            return  # confirmed, withdrawn or replaced by a newer address meanwhile
        token = confirmation_token(self.key, sub, row["pending_email"], row["pending_nonce"])
        link = f"{self.links.polls}/notifications/confirm?token={token}"
        text = confirmation_email(row["language"], link)
        await self._mailer().send(message_id, row["pending_email"], text.subject, text.body)
        _log.info("address confirmation sent", message=str(message_id))


def _json(facts: dict[str, Any]) -> str:
    return msgspec.json.encode(facts).decode()
