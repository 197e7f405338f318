"""HTTP routes of the territory reference, mounted with sign-in by both services:
municipality names for the builder and admin pages, and the refused address codes."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec
from litestar import get
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler
from litestar.params import QueryParameter
from litestar.types import ControllerRouterHandler

from shared.identity.claims import Role
from shared.identity.guards import current_session
from shared.identity.territory.store import (
    MAX_CODES,
    MunicipalityRecord,
    RefusedCode,
    RegionImport,
    TerritoryStore,
)

__all__ = (
    "MAX_REFUSED_DAYS",
    "MunicipalityList",
    "RefusedCodes",
    "may_see_refused_codes",
    "refused_codes",
    "territory_routes",
)

MAX_REFUSED_DAYS = 90
"""Refused codes are kept this long; a listing may reach back as far."""


class MunicipalityList(msgspec.Struct, kw_only=True):
    """Municipalities of the imported address register (region, name, place in the
    hierarchy); codes it does not name are left out."""

    municipalities: tuple[MunicipalityRecord, ...]


class RefusedCodes(msgspec.Struct, kw_only=True):
    """Registration address codes sign-in refused since ``since``, per day, and the state of
    the imported register: codes refused day after day mean the register is stale."""

    since: dt.date
    codes: tuple[RefusedCode, ...]
    regions: tuple[RegionImport, ...]


def may_see_refused_codes(roles: tuple[str, ...]) -> bool:
    """The platform's operators (admins) and auditors; the codes belong to no organisation."""
    return Role.ADMIN.value in roles or Role.AUDITOR.value in roles


def _operators_only(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    if not may_see_refused_codes(current_session(connection).roles):
        raise PermissionDeniedException(detail="this needs the admin or auditor role")


async def refused_codes(store: TerritoryStore, days: int) -> RefusedCodes:
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)
    return RefusedCodes(
        since=since,
        codes=tuple(await store.refused_codes(since)),
        regions=tuple(await store.regions()),
    )


def territory_routes(store: TerritoryStore) -> list[ControllerRouterHandler]:
    @get(
        "/api/v1/territory/municipalities",
        tags=["territory"],
        summary="Municipality names for OKTMO codes, or by a part of the name",
        description=(
            "Give `oktmo` (repeat, up to 200) for the names of those codes (8 or 11 digits), "
            "or `q` for up to `limit` municipalities whose name contains it (or whose code "
            "starts with it). "
            "Codes the imported register does not name are left out."
        ),
    )
    async def municipalities(
        oktmo: Annotated[list[str] | None, QueryParameter(max_items=MAX_CODES)] = None,
        q: Annotated[str | None, QueryParameter(min_length=1, max_length=100)] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=100)] = 20,
    ) -> MunicipalityList:
        found: list[MunicipalityRecord] = []
        if oktmo:
            named = await store.municipalities(oktmo)
            found.extend(named[c] for c in dict.fromkeys(oktmo) if c in named)
        if q:
            found.extend(await store.search(q, limit))
        return MunicipalityList(municipalities=tuple(found))

    @get(
        "/api/v1/territory/refused-codes",
        tags=["territory"],
        summary="Registration address codes sign-in refused, per day (operators, auditors)",
        guards=[_operators_only],
    )
    async def refused(
        days: Annotated[int, QueryParameter(ge=1, le=MAX_REFUSED_DAYS)] = 14,
    ) -> RefusedCodes:
        return await refused_codes(store, days)

    return [municipalities, refused]
