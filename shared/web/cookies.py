"""Cookie names: outside development every cookie of the platform is a ``__Host-`` cookie.

A browser accepts a ``__Host-`` cookie only with ``Secure``, ``Path=/`` and no ``Domain``, so a
page on a sibling subdomain (another municipal site under the same parent domain) can neither
set nor shadow our session, CSRF or receipt cookies. Development runs over plain HTTP, where
``Secure`` cookies would not come back, so there the names carry no prefix.

Writers know the deployment from the settings; readers ask the application's state, which the
identity components fill in (:data:`SECURE_COOKIES_STATE`).
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

__all__ = ("HOST_PREFIX", "SECURE_COOKIES_STATE", "cookie_name", "read_cookie", "secure_cookies")

HOST_PREFIX = "__Host-"
SECURE_COOKIES_STATE = "secure_cookies"


def cookie_name(base: str, *, secure: bool) -> str:
    """The name a cookie is set and read under in this deployment."""
    return HOST_PREFIX + base if secure else base


def secure_cookies(connection: ASGIConnection[Any, Any, Any, Any]) -> bool:
    return bool(connection.app.state.get(SECURE_COOKIES_STATE, False))


def read_cookie(connection: ASGIConnection[Any, Any, Any, Any], base: str) -> str | None:
    """The value of cookie ``base`` under this deployment's name, or None."""
    return connection.cookies.get(cookie_name(base, secure=secure_cookies(connection)))
