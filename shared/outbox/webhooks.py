"""Standard Webhooks (https://www.standardwebhooks.com/): how a posted message is signed and
how a receiver checks it.

Headers: ``webhook-id`` (the outbox message id, which receivers de-duplicate on),
``webhook-timestamp`` (Unix seconds) and ``webhook-signature``: ``v1,`` followed by the base64
HMAC-SHA256 of ``<id>.<timestamp>.<body>`` under the secret. The secret is written
``whsec_<base64 of its bytes>``. Several space-separated signatures may be sent while a secret is
rotated; a receiver accepts the message if any ``v1`` one matches, and refuses timestamps more
than five minutes away from its clock (replays).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping

import httpx

from shared.config import MissingSettingError
from shared.outbox.delivery import DeliveryFailedError, QueuedMessage

__all__ = (
    "TOLERANCE",
    "InvalidWebhookError",
    "WebhookSender",
    "generate_secret",
    "parse_secret",
    "secret_setting",
    "sign",
    "signed_headers",
    "verify",
)

PREFIX = "whsec_"
TOLERANCE = dt.timedelta(minutes=5)


class InvalidWebhookError(Exception):
    """The message is not to be trusted: missing header, stale timestamp or no matching
    signature. The text says which, for the receiver's log."""


def secret_setting(environ: Mapping[str, str], name: str) -> str | None:
    """The ``whsec_`` secret ``environ[name]``, checked; None when unset or empty."""
    secret = environ.get(name) or None
    if secret is not None:
        try:
            parse_secret(secret)
        except ValueError as exc:
            raise MissingSettingError(name, str(exc)) from None
    return secret


def parse_secret(text: str) -> bytes:
    """The key bytes of ``whsec_<base64>``; ValueError naming what is wrong otherwise."""
    if not text.startswith(PREFIX):
        raise ValueError("a webhook secret is written whsec_<base64>")
    try:
        key = base64.b64decode(text[len(PREFIX) :], validate=True)
    except binascii.Error:
        raise ValueError("the part after whsec_ is not base64") from None
    if not 24 <= len(key) <= 64:
        raise ValueError("a webhook secret holds 24 to 64 bytes")
    return key


def generate_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign(key: bytes, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``v1,<base64>`` signature of one message."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def signed_headers(key: bytes, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(key, message_id, timestamp, body),
    }


def verify(key: bytes, headers: Mapping[str, str], body: bytes, now: dt.datetime) -> str:
    """Check a received message; returns its ``webhook-id``, raises :class:`InvalidWebhookError`."""
    message_id = headers.get("webhook-id", "")
    raw_timestamp = headers.get("webhook-timestamp", "")
    signatures = headers.get("webhook-signature", "")
    if not message_id or not raw_timestamp or not signatures:
        raise InvalidWebhookError("missing webhook-id, webhook-timestamp or webhook-signature")
    if not raw_timestamp.isdigit():
        raise InvalidWebhookError("webhook-timestamp is not a number of seconds")
    timestamp = int(raw_timestamp)
    if abs(now.timestamp() - timestamp) > TOLERANCE.total_seconds():
        raise InvalidWebhookError("webhook-timestamp is too far from now")
    expected = sign(key, message_id, timestamp, body)
    for candidate in signatures.split(" "):
        if candidate.startswith("v1,") and hmac.compare_digest(candidate, expected):
            return message_id
    raise InvalidWebhookError("no signature matches")


class WebhookSender:
    """Posts a message's body, signed, to one URL; a refusal or a network error is retried."""

    def __init__(self, url: str, key: bytes, timeout_s: float = 5.0) -> None:
        self.url = url
        self.key = key
        self.timeout_s = timeout_s

    async def post(self, message: QueuedMessage, now: dt.datetime) -> None:
        headers = signed_headers(self.key, str(message.id), int(now.timestamp()), message.body)
        try:
            # A client per post: messages are few, and no connection outlives a failure.
            async with httpx.AsyncClient(timeout=self.timeout_s) as client:
                response = await client.post(
                    self.url,
                    content=message.body,
                    headers={"content-type": "application/json", **headers},
                )
        except httpx.HTTPError as exc:
            raise DeliveryFailedError(f"{type(exc).__name__} posting to the webhook") from exc
        if not response.is_success:
            raise DeliveryFailedError(f"the webhook answered HTTP {response.status_code}")
