"""The webhook's settings fail fast: a URL needs a Standard Webhooks secret, well formed."""

from __future__ import annotations

import pytest

from services.discussions.settings import load_discussions_settings
from shared.config import MissingSettingError
from shared.outbox.webhooks import generate_secret

URL = "https://hooks.example.ru/vmeste"


def test_webhook_url_needs_a_secret() -> None:
    with pytest.raises(MissingSettingError, match="VMESTE_DISCUSSIONS_WEBHOOK_SECRET"):
        load_discussions_settings({"VMESTE_DISCUSSIONS_WEBHOOK_URL": URL})


def test_malformed_secret_is_refused_naming_the_form() -> None:
    with pytest.raises(MissingSettingError, match="whsec_"):
        load_discussions_settings(
            {"VMESTE_DISCUSSIONS_WEBHOOK_URL": URL, "VMESTE_DISCUSSIONS_WEBHOOK_SECRET": "s3cr3t"}
        )


def test_url_and_secret_are_read() -> None:
    secret = generate_secret()
    options = load_discussions_settings(
        {"VMESTE_DISCUSSIONS_WEBHOOK_URL": URL, "VMESTE_DISCUSSIONS_WEBHOOK_SECRET": secret}
    )
    assert (options.webhook_url, options.webhook_secret) == (URL, secret)


def test_polls_inbox_needs_the_notifications_secret() -> None:
    inbox = "http://vmeste-polls:8000/internal/notifications/events"
    with pytest.raises(MissingSettingError, match="VMESTE_NOTIFICATIONS_SECRET"):
        load_discussions_settings({"VMESTE_DISCUSSIONS_NOTIFY_URL": inbox})
    secret = generate_secret()
    options = load_discussions_settings(
        {"VMESTE_DISCUSSIONS_NOTIFY_URL": inbox, "VMESTE_NOTIFICATIONS_SECRET": secret}
    )
    assert (options.notify_url, options.notify_secret, options.webhook_url) == (
        inbox,
        secret,
        None,
    )
