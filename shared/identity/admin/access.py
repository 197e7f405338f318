"""Who may use the admins' registry: admins change it; admins and auditors read its trail."""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from shared.identity.claims import Role
from shared.identity.guards import current_session

__all__ = ("admins_only", "may_change_registry", "may_read_trail", "trail_readers_only")


def may_change_registry(roles: tuple[str, ...]) -> bool:
    return Role.ADMIN.value in roles


def may_read_trail(roles: tuple[str, ...]) -> bool:
    return Role.ADMIN.value in roles or Role.AUDITOR.value in roles


def admins_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not may_change_registry(current_session(connection).roles):
        raise PermissionDeniedException(detail="this needs the admin role")


def trail_readers_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not may_read_trail(current_session(connection).roles):
        raise PermissionDeniedException(detail="this needs the admin or auditor role")
