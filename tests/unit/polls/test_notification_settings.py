"""Notification settings fail fast and name the variable to fix."""

from __future__ import annotations

import pytest

from services.polls.notifications.settings import MailSettings, load_notification_settings
from shared.config import MissingSettingError


def test_without_a_relay_email_is_off() -> None:
    assert load_notification_settings({}).mail is None


def test_relay_settings_with_their_defaults() -> None:
    options = load_notification_settings(
        {
            "VMESTE_SMTP_HOST": "smtp.example.ru",
            "VMESTE_SMTP_FROM": "noreply@vmeste.example.ru",
            "VMESTE_SMTP_USERNAME": "vmeste",
            "VMESTE_SMTP_PASSWORD": "secret",
        }
    )
    assert options.mail == MailSettings(
        host="smtp.example.ru",
        port=587,
        sender="noreply@vmeste.example.ru",
        tls="starttls",
        username="vmeste",
        password="secret",
    )


@pytest.mark.parametrize(
    ("environ", "name"),
    [
        ({"VMESTE_SMTP_HOST": "smtp.example.ru"}, "VMESTE_SMTP_FROM"),
        (
            {"VMESTE_SMTP_HOST": "h", "VMESTE_SMTP_FROM": "a@b.ru", "VMESTE_SMTP_TLS": "ssl3"},
            "VMESTE_SMTP_TLS",
        ),
        (
            {"VMESTE_SMTP_HOST": "h", "VMESTE_SMTP_FROM": "a@b.ru", "VMESTE_SMTP_USERNAME": "u"},
            "VMESTE_SMTP_PASSWORD",
        ),
        ({"VMESTE_NOTIFICATIONS_SECRET": "plain"}, "VMESTE_NOTIFICATIONS_SECRET"),
    ],
)
def test_bad_settings_name_the_variable(environ: dict[str, str], name: str) -> None:
    with pytest.raises(MissingSettingError, match=name):
        load_notification_settings(environ)
