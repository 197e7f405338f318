"""Authentication middleware: puts the caller's Session (or None) on every request.

It never rejects: a public page stays public even with a stale cookie, while a guarded route
or a ``session`` parameter turns a missing or refused token into a 401 naming the reason.
Health, metrics, schema and the sign-in routes skip it entirely, so they never touch Redis.

The session cookie authenticates pages, and API reads; an API request that changes something
(POST, PUT, PATCH, DELETE under ``/api/``) counts the cookie only together with the
session's CSRF token in the ``X-CSRF-Token`` header (see :mod:`shared.identity.csrf`). API
clients send ``Authorization: Bearer``, which no other site can make a browser add. Page forms
carry the token in a form field, checked by the page itself.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from shared.identity.csrf import CSRF_HEADER
from shared.identity.guards import AuthFailure
from shared.identity.service import IdentityService
from shared.identity.tokens import InvalidSessionTokenError
from shared.web.cookies import read_cookie

__all__ = (
    "REVOCATION_CHECKED_BY_ROUTE",
    "SESSION_COOKIE",
    "IdentityMiddleware",
    "presented_credentials",
    "presented_token",
)

SESSION_COOKIE = "vmeste_session"
"""The session cookie's name in development; ``__Host-vmeste_session`` elsewhere."""

_ANONYMOUS_PREFIXES = ("/health/", "/metrics", "/schema", "/auth/")
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_REFUSED_COOKIE = (
    "the session cookie authenticates an API request that changes something only with the "
    "page's X-CSRF-Token header; API clients send Authorization: Bearer"
)


def _is_anonymous_path(scope: Scope) -> bool:
    return scope["path"].startswith(_ANONYMOUS_PREFIXES)


def presented_credentials(scope: Scope) -> tuple[str | None, bool]:
    """The session token and whether it came from the cookie (rather than a Bearer header)."""
    connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope)
    header = connection.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip(), False
    return read_cookie(connection, SESSION_COOKIE) or None, True


def presented_token(scope: Scope) -> str | None:
    """``Authorization: Bearer`` first (API clients), else the session cookie (pages)."""
    return presented_credentials(scope)[0]


def _header(scope: Scope, name: str) -> str | None:
    return ASGIConnection[Any, Any, Any, Any](scope).headers.get(name)


REVOCATION_CHECKED_BY_ROUTE = "revocation_checked_by_route"
"""Route option: the route reads the session's revocation itself, in a Redis round trip it
makes anyway, and refuses a signed-out session (the cast: its gate script), so the
middleware leaves the revocation to it. Set it only on a route that does."""


def _revocation_checked_by_route(scope: Scope) -> bool:
    handler = scope.get("route_handler")
    return handler is not None and bool(handler.opt.get(REVOCATION_CHECKED_BY_ROUTE))


def _needs_csrf_token(scope: Scope) -> bool:
    method = scope.get("method", "GET")
    return method not in _SAFE_METHODS and scope["path"].startswith("/api/")


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
        token, from_cookie = presented_credentials(scope)
        if token is not None:
            deferred = _revocation_checked_by_route(scope)
            try:
                session = await self._service.authenticate(
                    token, revocation_checked_by_route=deferred
                )
            except InvalidSessionTokenError as exc:
                scope["auth"] = AuthFailure(exc.reason)
            else:
                if (
                    from_cookie
                    and _needs_csrf_token(scope)
                    and not self._service.csrf.matches(session.sid, _header(scope, CSRF_HEADER))
                ):
                    scope["auth"] = AuthFailure(_REFUSED_COOKIE)
                else:
                    scope["user"] = session
        await next_app(scope, receive, send)
