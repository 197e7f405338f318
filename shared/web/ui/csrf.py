"""CSRF protection of the pages' forms: a double-submit token.

Pages are authenticated by the session cookie, so a form posted from another site would carry
it. Every page form carries a random token that must equal the ``vmeste_csrf`` cookie; another
site can neither read the cookie nor set it (``SameSite=Strict``, ``HttpOnly``). Only the page
routes check it: API calls authenticate with ``Authorization: Bearer``, which a browser never
adds on its own, so they need no token.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie

from shared.web.problems import ProblemError

__all__ = (
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "CSRF_HEADER",
    "check_csrf",
    "csrf_cookie",
    "csrf_token",
)

CSRF_COOKIE = "vmeste_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
_STATE_KEY = "csrf_token"


def csrf_token(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, bool]:
    """The request's token and whether it is new (then the response must set the cookie)."""
    state = connection.scope.setdefault("state", {})
    existing = state.get(_STATE_KEY)
    if existing is not None:
        return str(existing[0]), bool(existing[1])
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    token, new = (cookie, False) if len(cookie) == 43 else (secrets.token_urlsafe(32), True)
    state[_STATE_KEY] = (token, new)
    return token, new


def csrf_cookie(token: str, *, secure: bool) -> Cookie:
    return Cookie(
        key=CSRF_COOKIE,
        value=token,
        path="/",
        httponly=True,
        secure=secure,
        samesite="strict",
        max_age=12 * 3600,
    )


def check_csrf(connection: ASGIConnection[Any, Any, Any, Any], submitted: str | None) -> None:
    """Refuse the request (403) unless ``submitted`` (form field or header) equals the cookie."""
    cookie = connection.cookies.get(CSRF_COOKIE, "")
    presented = submitted or connection.headers.get(CSRF_HEADER, "")
    if not cookie or not presented or not hmac.compare_digest(cookie, presented):
        raise ProblemError(
            403,
            "csrf-refused",
            "Form expired",
            "The form was not sent from this site's page or has expired. Reload the page and "
            "send it again.",
        )
