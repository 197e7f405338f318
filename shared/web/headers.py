"""Request ids and security headers on every response, 404s and crashes included.

Done in a ``before_send`` hook rather than middleware because Litestar runs middleware only
for matched routes, and an operator needs the request id on a 404 or 405 as much as anywhere.
"""

from __future__ import annotations

import re
import secrets

from litestar.types import Message, Scope

__all__ = ("REQUEST_ID_HEADER", "add_response_headers", "request_id")

REQUEST_ID_HEADER = b"x-request-id"
# A caller's id is kept only if it looks like an id, so logs cannot be polluted.
_ACCEPTABLE_ID = re.compile(rb"^[A-Za-z0-9._-]{8,64}$")

_SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
    (b"cross-origin-opener-policy", b"same-origin"),
)
# Pages may be framed only where a widget route sets its own frame-ancestors.
_DEFAULT_CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)


def request_id(scope: Scope) -> str:
    """The request's id: the caller's X-Request-Id if well formed, else a new one; stable
    for the whole request."""
    state = scope.setdefault("state", {})
    existing = state.get("request_id")
    if existing is None:
        incoming = next((v for k, v in scope.get("headers", ()) if k == REQUEST_ID_HEADER), b"")
        existing = incoming.decode() if _ACCEPTABLE_ID.match(incoming) else secrets.token_hex(8)
        state["request_id"] = existing
    return str(existing)


async def add_response_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    headers = list(message.get("headers", []))
    present = {name.lower() for name, _ in headers}
    headers.append((REQUEST_ID_HEADER, request_id(scope).encode()))
    headers.extend(h for h in _SECURITY_HEADERS if h[0] not in present)
    if b"content-security-policy" not in present:
        headers.append((b"content-security-policy", _DEFAULT_CSP))
    message["headers"] = headers
