"""Reading the territory reference: a FIAS code's municipality, municipalities by OKTMO code,
the imported regions; and the record of codes sign-in could not resolve.

Only the serving generation of each region is ever read (see :mod:`.importer`), so an import
in progress or one that failed is invisible here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import aiosqlite
import msgspec
from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from shared.identity.tables import Municipality, RefusedAddressCode, TerritoryImport

__all__ = (
    "MunicipalityRecord",
    "Placement",
    "RefusedCode",
    "RegionImport",
    "TerritoryStore",
    "normalise_code",
)

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_OKTMO = re.compile(r"^[0-9]{8}([0-9]{3})?$")
_RESOLVE = (
    "SELECT t.oktmo, t.region, t.level FROM identity_territory t "
    "JOIN identity_territory_import i ON i.region = t.region AND i.generation = t.generation "
    "WHERE t.fias = {} LIMIT 1"
)
MAX_CODES = 200
"""Codes one municipality lookup may ask for."""


def normalise_code(fias_code: str) -> str | None:
    """The FIAS GUID in lower case, or None if ``fias_code`` is not one."""
    code = fias_code.strip().lower()
    return code if _GUID.match(code) else None


class Placement(msgspec.Struct, frozen=True, kw_only=True):
    """Where the register puts a FIAS object."""

    fias: str
    oktmo: str
    region: str
    level: int
    """ГАР level of the object: 5 city, 6 settlement, 8 street, 10 house, …"""


class MunicipalityRecord(msgspec.Struct, frozen=True, kw_only=True):
    """A municipality or settlement of the register, with its place in the hierarchy."""

    oktmo: str
    name: str
    parent_oktmo: str | None
    level: int
    region: str


class RefusedCode(msgspec.Struct, frozen=True, kw_only=True):
    """A registration address code sign-in could not resolve, and how often, on one day."""

    code: str
    day: dt.date
    refusals: int


class RegionImport(msgspec.Struct, frozen=True, kw_only=True):
    region: str
    imported_at: dt.datetime
    source: str
    objects: int
    municipalities: int
    serving: bool
    """False until the region's first import completes."""
    importing: bool
    """An import is writing (or a crashed one left rows for the next to delete)."""


def _municipality(row: dict[str, Any]) -> MunicipalityRecord:
    return MunicipalityRecord(
        oktmo=row["oktmo"],
        name=row["name"],
        parent_oktmo=row["parent_oktmo"],
        level=int(row["level"]),
        region=row["region"],
    )


class TerritoryStore:
    """The territory tables of the identity database (bound to ``engine``)."""

    def __init__(self, engine: Engine) -> None:  # type: ignore[type-arg]
        self._engine = engine
        self._reader: aiosqlite.Connection | None = None

    async def _sqlite_reader(self, engine: SQLiteEngine) -> aiosqlite.Connection:
        # Piccolo opens a SQLite connection (and a thread) per query, which alone costs more
        # than the 1 ms a sign-in lookup may take; lookups keep one connection open.
        if self._reader is None:
            self._reader = await aiosqlite.connect(engine.path, timeout=30)
        return self._reader

    async def resolve(self, fias_code: str) -> Placement | None:
        """The register's placement of ``fias_code`` (any level), or None if unknown."""
        code = normalise_code(fias_code)
        if code is None:
            return None
        engine = self._engine
        if isinstance(engine, SQLiteEngine):
            reader = await self._sqlite_reader(engine)
            async with reader.execute(_RESOLVE.replace("{}", "?"), (code,)) as cursor:
                found = await cursor.fetchone()
            if found is None:
                return None
            oktmo, region, level = found
        else:
            rows = await engine.run_querystring(QueryString(_RESOLVE, code))
            if not rows:
                return None
            oktmo, region, level = rows[0]["oktmo"], rows[0]["region"], rows[0]["level"]
        return Placement(fias=code, oktmo=str(oktmo), region=str(region), level=int(level))

    async def _serving_generations(self) -> list[int]:
        rows = await TerritoryImport.select(TerritoryImport.generation).where(
            TerritoryImport.generation.is_not_null()
        )
        return [int(r["generation"]) for r in rows]

    async def municipalities(self, codes: Iterable[str]) -> dict[str, MunicipalityRecord]:
        """The named municipalities among ``codes`` (OKTMO, 8 or 11 digits); codes the
        register does not name are absent from the answer."""
        wanted = sorted({c for c in codes if _OKTMO.match(c)})[:MAX_CODES]
        generations = await self._serving_generations()
        if not wanted or not generations:
            return {}
        rows = await Municipality.select().where(
            Municipality.oktmo.is_in(wanted) & Municipality.generation.is_in(generations)
        )
        return {r["oktmo"]: _municipality(r) for r in rows}

    async def search(self, text: str, limit: int = 20) -> list[MunicipalityRecord]:
        """Municipalities whose name contains ``text`` (case as written), or whose code
        starts with it, for pickers; the highest in the hierarchy first. Letters match
        regardless of case on PostgreSQL, Latin letters only on SQLite."""
        generations = await self._serving_generations()
        needle = text.strip()
        if not needle or not generations:
            return []
        if needle.isdigit():
            by_text = Municipality.oktmo.like(f"{needle}%")
        elif isinstance(self._engine, SQLiteEngine):
            by_text = Municipality.name.like(f"%{needle}%")  # SQLite's LIKE folds Latin only
        else:
            by_text = Municipality.name.ilike(f"%{needle}%")
        rows = (
            await Municipality.select()
            .where(by_text & Municipality.generation.is_in(generations))
            .order_by(Municipality.level)
            .order_by(Municipality.oktmo)
            .limit(limit)
        )
        return [_municipality(r) for r in rows]

    async def regions(self) -> list[RegionImport]:
        rows = await TerritoryImport.select().order_by(TerritoryImport.region)
        return [
            RegionImport(
                region=r["region"],
                imported_at=r["imported_at"],
                source=r["source"],
                objects=int(r["object_count"]),
                municipalities=int(r["municipality_count"]),
                serving=r["generation"] is not None,
                importing=r["pending"] is not None,
            )
            for r in rows
        ]

    async def record_refusal(self, code: str, day: dt.date) -> None:
        """Count one refused sign-in with ``code`` on ``day``: the code and the day only."""
        await RefusedAddressCode.raw(
            "INSERT INTO identity_refused_address_code (key, code, day, refusals) "
            "VALUES ({}, {}, {}, 1) ON CONFLICT (key) DO UPDATE "
            "SET refusals = identity_refused_address_code.refusals + 1",
            f"{day.isoformat()}|{code}",
            code,
            day,
        )

    async def refused_codes(self, since: dt.date) -> list[RefusedCode]:
        """Codes refused on ``since`` or later, the most recent day first, then the most
        refused."""
        rows = (
            await RefusedAddressCode.select(
                RefusedAddressCode.code, RefusedAddressCode.day, RefusedAddressCode.refusals
            )
            .where(RefusedAddressCode.day >= since)
            .order_by(RefusedAddressCode.day, ascending=False)
            .order_by(RefusedAddressCode.refusals, ascending=False)
            .order_by(RefusedAddressCode.code)
        )
        return [RefusedCode(code=r["code"], day=r["day"], refusals=r["refusals"]) for r in rows]

    async def forget_refusals_before(self, day: dt.date) -> None:
        await RefusedAddressCode.delete().where(RefusedAddressCode.day < day)

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
