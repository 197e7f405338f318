"""Authentication middleware: puts the caller's Session (or None) on every request.

It never rejects: a public page stays public even with a stale cookie, while a guarded route
or a ``session`` parameter turns a missing or refused token into a 401 naming the reason.
Health, metrics, schema and the sign-in routes skip it entirely, so they never touch Redis.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from shared.identity.guards import AuthFailure
from shared.identity.service import IdentityService
from shared.identity.tokens import InvalidSessionTokenError

__all__ = ("SESSION_COOKIE", "IdentityMiddleware", "presented_token")

SESSION_COOKIE = "vmeste_session"


_ANONYMOUS_PREFIXES = ("/health/", "/metrics", "/schema", "/auth/")


def _is_anonymous_path(scope: Scope) -> bool:
    return scope["path"].startswith(_ANONYMOUS_PREFIXES)


def presented_token(scope: Scope) -> str | None:
    """``Authorization: Bearer`` first (API clients), else the session cookie (pages)."""
    connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return connection.cookies.get(SESSION_COOKIE) or None


class IdentityMiddleware(ASGIMiddleware):
    scopes = (ScopeType.HTTP,)
    exclude_opt_key = "anonymous"

    def __init__(self, service: IdentityService) -> None:
        self._service = service
        # By request path rather than exclude_path_pattern, which matches route templates.
        self.should_bypass_for_scope = _is_anonymous_path

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = None
        scope["auth"] = None
        token = presented_token(scope)
        if token is not None:
            try:
                scope["user"] = await self._service.authenticate(token)
            except InvalidSessionTokenError as exc:
                scope["auth"] = AuthFailure(exc.reason)
        await next_app(scope, receive, send)
