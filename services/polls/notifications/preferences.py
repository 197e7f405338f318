"""A person's notification preferences and the confirmation of their e-mail address."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from typing import Any

import msgspec
from piccolo.table import Table

from services.polls.errors import PollsError
from services.polls.notifications.kinds import Kind
from services.polls.notifications.tables import NotificationPreferences
from shared.db.transactions import write_transaction
from shared.outbox import enqueue

__all__ = ("CONFIRMATION_LIFETIME", "Preferences", "PreferencesService", "kinds_of")

CONFIRMATION_LIFETIME = dt.timedelta(days=1)
_ADDRESS = re.compile(r"^[^@\s<>\"',;]{1,64}@[^@\s<>\"',;]+\.[^@\s<>\"',;]{2,}$")


class Preferences(msgspec.Struct, frozen=True, kw_only=True):
    """What the settings page shows its owner."""

    email_kinds: frozenset[str] = frozenset()
    in_app_kinds: frozenset[str] = frozenset()
    email: str | None = None
    pending_email: str | None = None


def kinds_of(text: str | None) -> frozenset[str]:
    return frozenset(k for k in (text or "").split() if k in set(Kind))


def _joined(kinds: Iterable[str]) -> str:
    return " ".join(sorted(set(kinds) & set(Kind)))


def confirmation_token(key: bytes, sub: str, address: str, nonce: str) -> str:
    """The token of a confirmation link: bound to the person, the address and this request,
    computed again on confirmation, so no database holds a usable link."""
    mac = hmac.new(key, f"{sub}\n{address}\n{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


class PreferencesService:
    def __init__(
        self, outbox: type[Table], confirmation_key: bytes, *, email_enabled: bool = False
    ) -> None:
        self.outbox = outbox
        self.key = confirmation_key
        self.email_enabled = email_enabled
        """Whether e-mail is offered at all: only with a mail relay configured."""

    async def get(self, sub: str) -> Preferences:
        row = (
            await NotificationPreferences.select().where(NotificationPreferences.sub == sub).first()
        )
        if row is None:
            return Preferences()
        return Preferences(
            email_kinds=kinds_of(row["email_kinds"]),
            in_app_kinds=kinds_of(row["in_app_kinds"]),
            email=row["email"],
            pending_email=row["pending_email"],
        )

    async def save(
        self,
        sub: str,
        *,
        oktmo: str,
        language: str,
        email_kinds: Iterable[str],
        in_app_kinds: Iterable[str],
        address: str,
        now: dt.datetime,
    ) -> bool:
        """Store the choices; True if a confirmation e-mail was queued for a new address.

        No e-mail kind chosen, or no address given: any stored address is deleted. A new
        address is kept as pending and confirmed by the link mailed to it."""
        address = address.strip()
        email_kinds = _joined(email_kinds)
        if (address and not _ADDRESS.match(address)) or len(address) > 254:
            raise PollsError(
                400,
                "bad-email-address",
                "Invalid e-mail address",
                "Give an address like name@example.ru.",
            )
        async with write_transaction(NotificationPreferences):
            row = (
                await NotificationPreferences.select()
                .where(NotificationPreferences.sub == sub)
                .first()
            )
            values: dict[str, Any] = {
                "oktmo": oktmo,
                "language": language,
                "email_kinds": email_kinds,
                "in_app_kinds": _joined(in_app_kinds),
                "updated_at": now,
            }
            queued = False
            confirmed = row["email"] if row else None
            if not email_kinds or not address:
                values |= {
                    "email": None,
                    "pending_email": None,
                    "pending_nonce": None,
                    "pending_since": None,
                }
            elif address != confirmed:
                nonce = secrets.token_urlsafe(16)
                values |= {"pending_email": address, "pending_nonce": nonce, "pending_since": now}
                queued = True
            else:
                values |= {"pending_email": None, "pending_nonce": None, "pending_since": None}
            if row is None:
                await NotificationPreferences.insert(NotificationPreferences(sub=sub, **values))
            else:
                await NotificationPreferences.update(
                    {getattr(NotificationPreferences, k): v for k, v in values.items()}
                ).where(NotificationPreferences.sub == sub)
            if queued:
                # The message names the person and the request, never the address.
                await enqueue(
                    self.outbox,
                    "email.confirmation",
                    {"sub": sub, "nonce": values["pending_nonce"]},
                    now,
                )
        return queued

    async def moved(self, sub: str, oktmo: str) -> None:
        """Keep the municipality current: polls are announced to where a person lives now,
        as their latest session says (one indexed update, only when it changed)."""
        await NotificationPreferences.update({NotificationPreferences.oktmo: oktmo}).where(
            (NotificationPreferences.sub == sub) & (NotificationPreferences.oktmo != oktmo)
        )

    async def confirm(self, sub: str, token: str, now: dt.datetime) -> bool:
        """Make the pending address the one notifications go to, if ``token`` is its link's."""
        async with write_transaction(NotificationPreferences):
            row = (
                await NotificationPreferences.select()
                .where(NotificationPreferences.sub == sub)
                .first()
            )
            if row is None or not row["pending_email"] or not row["pending_nonce"]:
                return False
            if row["pending_since"] is None or now - row["pending_since"] > CONFIRMATION_LIFETIME:
                return False
            expected = confirmation_token(self.key, sub, row["pending_email"], row["pending_nonce"])
            if not hmac.compare_digest(expected, token):
                return False
            await NotificationPreferences.update(
                {
                    NotificationPreferences.email: row["pending_email"],
                    NotificationPreferences.pending_email: None,
                    NotificationPreferences.pending_nonce: None,
                    NotificationPreferences.pending_since: None,
                    NotificationPreferences.updated_at: now,
                }
            ).where(NotificationPreferences.sub == sub)
        return True

    async def forget_unconfirmed(self, now: dt.datetime) -> None:
        """Addresses never confirmed are deleted a day after they were given."""
        await NotificationPreferences.update(
            {
                NotificationPreferences.pending_email: None,
                NotificationPreferences.pending_nonce: None,
                NotificationPreferences.pending_since: None,
            }
        ).where(NotificationPreferences.pending_since < now - CONFIRMATION_LIFETIME)
