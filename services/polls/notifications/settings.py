"""Settings of the notifications, from the environment, once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from shared.config import MissingSettingError, positive_setting
from shared.outbox.webhooks import secret_setting

__all__ = ("MailSettings", "NotificationSettings", "load_notification_settings")

Tls = Literal["starttls", "tls", "none"]


@dataclass(frozen=True, slots=True)
class MailSettings:
    host: str
    """The SMTP relay (VMESTE_SMTP_HOST)."""
    port: int
    """Its port (VMESTE_SMTP_PORT; 587 with STARTTLS, 465 with TLS, 25 without)."""
    sender: str
    """The From address (VMESTE_SMTP_FROM), e.g. ``Вместе <noreply@vmeste.example.ru>``."""
    tls: Tls = "starttls"
    """``starttls``, ``tls`` (implicit, port 465) or ``none`` (VMESTE_SMTP_TLS)."""
    username: str | None = None
    """Login at the relay (VMESTE_SMTP_USERNAME), from a Secret; none: no login."""
    password: str | None = None
    """Its password (VMESTE_SMTP_PASSWORD), from a Secret."""
    timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class NotificationSettings:
    mail: MailSettings | None = None
    """None: e-mail is off (the settings page says so; in-app notifications still work)."""
    inbox_secret: str | None = None
    """The ``whsec_`` secret discussions signs its events with (VMESTE_NOTIFICATIONS_SECRET);
    none: the inbox refuses every event."""
    interval_s: float = 1.0
    """How often the outbox is drained (VMESTE_POLLS_OUTBOX_INTERVAL_S)."""


def _mail(environ: Mapping[str, str]) -> MailSettings | None:
    host = environ.get("VMESTE_SMTP_HOST", "")
    if not host:
        return None
    sender = environ.get("VMESTE_SMTP_FROM", "")
    if "@" not in sender:
        raise MissingSettingError("VMESTE_SMTP_FROM", "required with VMESTE_SMTP_HOST: an address")
    tls = environ.get("VMESTE_SMTP_TLS", "starttls")
    if tls not in ("starttls", "tls", "none"):
        raise MissingSettingError("VMESTE_SMTP_TLS", f"starttls, tls or none, got {tls!r}")
    username = environ.get("VMESTE_SMTP_USERNAME") or None
    password = environ.get("VMESTE_SMTP_PASSWORD") or None
    if (username is None) != (password is None):
        raise MissingSettingError("VMESTE_SMTP_PASSWORD", "give both username and password")
    default_port = {"starttls": 587, "tls": 465, "none": 25}[tls]
    return MailSettings(
        host=host,
        port=int(positive_setting(environ, "VMESTE_SMTP_PORT", default_port)),
        sender=sender,
        tls=tls,  # type: ignore[arg-type]
        username=username,
        password=password,
    )


def load_notification_settings(environ: Mapping[str, str] = os.environ) -> NotificationSettings:
    return NotificationSettings(
        mail=_mail(environ),
        inbox_secret=secret_setting(environ, "VMESTE_NOTIFICATIONS_SECRET"),
        interval_s=positive_setting(environ, "VMESTE_POLLS_OUTBOX_INTERVAL_S", 1.0),
    )
