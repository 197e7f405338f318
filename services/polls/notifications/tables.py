"""Persistence of notification preferences and of the in-app list."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("Notification", "NotificationPreferences")


class NotificationPreferences(Table, tablename="notification_preferences"):
    """One person's choices: which kinds reach them by which channel, and where to e-mail."""

    sub = Varchar(length=64, primary_key=True, help_text="Pseudonymous subject of the person.")
    oktmo = Varchar(length=11, help_text="Municipality when last saved: polls notified about.")
    language = Varchar(length=2, help_text="ru or en: the language of their e-mails.")
    email_kinds = Text(default="", help_text="Space-separated kinds sent by e-mail.")
    in_app_kinds = Text(default="", help_text="Space-separated kinds listed in the app.")
    email = Varchar(
        length=254, null=True, default=None, help_text="Confirmed address; only while opted in."
    )
    pending_email = Varchar(
        length=254, null=True, default=None, help_text="Address waiting for its confirmation."
    )
    pending_nonce = Varchar(
        length=64, null=True, default=None, help_text="Random part of the confirmation link."
    )
    pending_since = Timestamptz(null=True, default=None)
    updated_at = Timestamptz()


class Notification(Table, tablename="notification"):
    """One entry of a person's in-app list; its text is rendered in the reader's language."""

    id = UUID(primary_key=True, default=uuid.uuid4, help_text="Derived from event and person.")
    sub = Varchar(length=64, index=True)
    kind = Varchar(length=32)
    payload = Text(help_text="JSON facts of the event (no personal data).")
    created_at = Timestamptz()
    read_at = Timestamptz(null=True, default=None)
