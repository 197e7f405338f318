"""Who may call a route: guards and the ``session`` dependency.

The authentication middleware leaves either a Session or None on the connection (and, for a
refused token, the reason). Routes that need a person say so with a guard or by taking a
``session`` parameter; nothing else is ever turned away for lack of a session.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from litestar.connection import ASGIConnection
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from shared.identity.claims import Session

__all__ = (
    "AuthFailure",
    "Guard",
    "OptionalSessionDependency",
    "SessionDependency",
    "current_session",
    "optional_session",
    "requires_permission",
    "requires_role",
    "requires_session",
)

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], None]
SessionDependency = NamedDependency[Session]
"""Annotate a handler parameter named ``session``: the caller's session, or 401."""
OptionalSessionDependency = NamedDependency[Session | None]
"""Annotate a parameter named ``optional_session``: the session, or None when anonymous."""
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="vmeste"'}


class AuthFailure:
    """Why a presented session token was refused, kept for the 401 a guard may raise."""

    __slots__ = ("reason",)

    def __init__(self, reason: str) -> None:
        self.reason = reason


def optional_session(connection: ASGIConnection[Any, Any, Any, Any]) -> Session | None:
    user = connection.scope.get("user")
    return user if isinstance(user, Session) else None


def current_session(connection: ASGIConnection[Any, Any, Any, Any]) -> Session:
    """The caller's session, or 401 saying why there is none."""
    session = optional_session(connection)
    if session is not None:
        return session
    failure = connection.scope.get("auth")
    if isinstance(failure, AuthFailure):
        raise NotAuthorizedException(
            detail=failure.reason,
            headers={"WWW-Authenticate": 'Bearer realm="vmeste", error="invalid_token"'},
        )
    raise NotAuthorizedException(detail="no session: sign in first", headers=_CHALLENGE)


def requires_session(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    current_session(connection)


def requires_permission(permission: str, organisation: str | None = None) -> Guard:
    """Guard: the caller is an official holding ``permission`` (for ``organisation``, if
    given). Handlers still check that the object they touch belongs to one of
    ``session.organisations_with(permission)``."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not current_session(connection).has_permission(permission, organisation):
            raise PermissionDeniedException(detail=f"this needs the {permission} permission")

    return guard


def requires_role(role: str) -> Guard:
    """Guard: the caller holds ``role`` (auditor, admin, official)."""

    def guard(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
        if not current_session(connection).has_role(role):
            raise PermissionDeniedException(detail=f"this needs the {role} role")

    return guard
