"""Settings only the discussions service reads, from the environment, once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.config import MissingSettingError, positive_setting
from shared.outbox.webhooks import secret_setting

__all__ = ("DiscussionsSettings", "load_discussions_settings")


@dataclass(frozen=True, slots=True)
class DiscussionsSettings:
    webhook_url: str | None
    """Where author notifications are POSTed (VMESTE_DISCUSSIONS_WEBHOOK_URL); none: kept."""
    scheduler_interval_s: float
    """How often periods are opened and closed (VMESTE_DISCUSSIONS_SCHEDULER_INTERVAL_S)."""
    outbox_interval_s: float
    """How often the outbox is drained (VMESTE_DISCUSSIONS_OUTBOX_INTERVAL_S)."""
    webhook_secret: str | None = None
    """The Standard Webhooks secret ``whsec_<base64>`` the webhook's posts are signed with
    (VMESTE_DISCUSSIONS_WEBHOOK_SECRET); required with a webhook URL."""
    notify_url: str | None = None
    """Polls' notifications inbox, inside the cluster (VMESTE_DISCUSSIONS_NOTIFY_URL, e.g.
    ``http://polls/internal/notifications/events``): authors' events go there to
    reach their in-app list and mailbox. None: they are kept in the outbox."""
    notify_secret: str | None = None
    """The ``whsec_`` secret shared with polls to sign those events
    (VMESTE_NOTIFICATIONS_SECRET); required with the inbox URL."""
    issues_sessions: bool | None = None
    """Whether this service signs people in itself (VMESTE_DISCUSSIONS_SESSIONS=issue) or only
    verifies the sessions polls issues (=verify). Unset: issue in development (one machine,
    keys made on first start), verify in production, where issuing is refused."""


def _seconds(environ: Mapping[str, str], name: str, default: float) -> float:
    return positive_setting(environ, name, default, what="a number of seconds")


def _receiver(
    environ: Mapping[str, str], url_name: str, secret_name: str
) -> tuple[str | None, str | None]:
    """An http(s) URL events are posted to and the secret they are signed with, which it
    requires; neither when the URL is unset."""
    url = environ.get(url_name) or None
    if url is not None and not url.startswith(("http://", "https://")):
        raise MissingSettingError(url_name, "must be an http(s) URL")
    if url is not None and not environ.get(secret_name):
        raise MissingSettingError(secret_name, f"required with {url_name}")
    return url, secret_setting(environ, secret_name)


def load_discussions_settings(environ: Mapping[str, str] = os.environ) -> DiscussionsSettings:
    url, secret = _receiver(
        environ, "VMESTE_DISCUSSIONS_WEBHOOK_URL", "VMESTE_DISCUSSIONS_WEBHOOK_SECRET"
    )
    notify_url, notify_secret = _receiver(
        environ, "VMESTE_DISCUSSIONS_NOTIFY_URL", "VMESTE_NOTIFICATIONS_SECRET"
    )
    sessions = environ.get("VMESTE_DISCUSSIONS_SESSIONS", "")
    if sessions not in ("", "issue", "verify"):
        raise MissingSettingError(
            "VMESTE_DISCUSSIONS_SESSIONS", f"must be 'issue' or 'verify', got {sessions!r}"
        )
    return DiscussionsSettings(
        webhook_url=url,
        webhook_secret=secret,
        notify_url=notify_url,
        notify_secret=notify_secret,
        scheduler_interval_s=_seconds(environ, "VMESTE_DISCUSSIONS_SCHEDULER_INTERVAL_S", 1.0),
        outbox_interval_s=_seconds(environ, "VMESTE_DISCUSSIONS_OUTBOX_INTERVAL_S", 1.0),
        issues_sessions=None if not sessions else sessions == "issue",
    )
