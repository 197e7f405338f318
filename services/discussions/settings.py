"""Settings only the discussions service reads, from the environment, once."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.config import MissingSettingError
from shared.outbox.webhooks import parse_secret

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


def _float(environ: Mapping[str, str], name: str, default: float) -> float:
    raw = environ.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise MissingSettingError(name, f"must be a number of seconds, got {raw!r}") from None
    if value <= 0:
        raise MissingSettingError(name, "must be positive")
    return value


def load_discussions_settings(environ: Mapping[str, str] = os.environ) -> DiscussionsSettings:
    url = environ.get("VMESTE_DISCUSSIONS_WEBHOOK_URL") or None
    if url is not None and not url.startswith(("http://", "https://")):
        raise MissingSettingError("VMESTE_DISCUSSIONS_WEBHOOK_URL", "must be an http(s) URL")
    secret = environ.get("VMESTE_DISCUSSIONS_WEBHOOK_SECRET") or None
    if url is not None and secret is None:
        raise MissingSettingError(
            "VMESTE_DISCUSSIONS_WEBHOOK_SECRET", "required with VMESTE_DISCUSSIONS_WEBHOOK_URL"
        )
    if secret is not None:
        try:
            parse_secret(secret)
        except ValueError as exc:
            raise MissingSettingError("VMESTE_DISCUSSIONS_WEBHOOK_SECRET", str(exc)) from None
    notify_url = environ.get("VMESTE_DISCUSSIONS_NOTIFY_URL") or None
    if notify_url is not None and not notify_url.startswith(("http://", "https://")):
        raise MissingSettingError("VMESTE_DISCUSSIONS_NOTIFY_URL", "must be an http(s) URL")
    notify_secret = environ.get("VMESTE_NOTIFICATIONS_SECRET") or None
    if notify_url is not None and notify_secret is None:
        raise MissingSettingError(
            "VMESTE_NOTIFICATIONS_SECRET", "required with VMESTE_DISCUSSIONS_NOTIFY_URL"
        )
    if notify_secret is not None:
        try:
            parse_secret(notify_secret)
        except ValueError as exc:
            raise MissingSettingError("VMESTE_NOTIFICATIONS_SECRET", str(exc)) from None
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
        scheduler_interval_s=_float(environ, "VMESTE_DISCUSSIONS_SCHEDULER_INTERVAL_S", 1.0),
        outbox_interval_s=_float(environ, "VMESTE_DISCUSSIONS_OUTBOX_INTERVAL_S", 1.0),
        issues_sessions=None if not sessions else sessions == "issue",
    )
