"""Importing one region of the address register into the identity database, atomically.

Memory stays flat: records stream from the XML (see :mod:`.gar`) into staging tables in
batches, and everything that needs the whole region at once — each object's OKTMO taken from
its nearest ancestor that has one, the names of municipalities — is done by SQL in the
database, never in Python dictionaries.

Atomic per region: the rows are written under a new *generation* that lookups ignore; one
short update then makes it the region's serving generation, and the old rows are deleted
afterwards. Until that update the old data serves, and an import that fails (a damaged file,
a crash) leaves nothing a lookup can see; its rows are deleted on failure, or by the next
import of the region if the process died. Writes go in chunks, each its own short
transaction, so sign-ins writing their sessions to the same SQLite file never wait long.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from shared.identity.territory._bulk import BulkConnection, connect
from shared.identity.territory.gar import (
    OBJECT_KINDS,
    GarFormatError,
    RegionExtract,
    read_hierarchy,
    read_objects,
)

__all__ = ("ImportProgress", "ImportReport", "import_region")

_CHUNK = 50_000
"""Rows per write transaction when moving staged rows into the serving tables."""

_STAGING = (
    "CREATE TEMP TABLE gar_item (objectid BIGINT NOT NULL, parent BIGINT, oktmo VARCHAR(11))",
    "CREATE TEMP TABLE gar_object (n BIGINT PRIMARY KEY, objectid BIGINT NOT NULL, "
    "guid VARCHAR(36) NOT NULL, level SMALLINT NOT NULL, name VARCHAR(400))",
)
# One row per object of the municipal hierarchy; eff = its own OKTMO or its nearest
# ancestor's, filled in below.
_TREE = (
    "CREATE TEMP TABLE gar_tree AS SELECT objectid, MIN(parent) AS parent, "
    "MIN(oktmo) AS oktmo, MIN(oktmo) AS eff FROM gar_item GROUP BY objectid"
)
_INHERIT = (
    "UPDATE gar_tree SET eff = (SELECT p.eff FROM gar_tree p WHERE p.objectid = gar_tree.parent) "
    "WHERE eff IS NULL AND parent IS NOT NULL AND EXISTS "
    "(SELECT 1 FROM gar_tree p WHERE p.objectid = gar_tree.parent AND p.eff IS NOT NULL)"
)
_MOVE_OBJECTS = (
    "INSERT INTO identity_territory (fias, oktmo, level, region, generation) "
    "SELECT o.guid, t.eff, o.level, ?, ? FROM gar_object o "
    "JOIN gar_tree t ON t.objectid = o.objectid "
    "WHERE o.n >= ? AND o.n < ? AND t.eff IS NOT NULL"
)
# The object that first carries a code on the way down the hierarchy names it; of several,
# the one highest up (then the oldest).
_NAME_MUNICIPALITIES = (
    "INSERT INTO identity_municipality (oktmo, name, parent_oktmo, level, region, generation) "
    "SELECT oktmo, name, parent_oktmo, level, ?, ? FROM ("
    " SELECT t.oktmo AS oktmo, o.name AS name, p.eff AS parent_oktmo, o.level AS level,"
    " ROW_NUMBER() OVER (PARTITION BY t.oktmo ORDER BY o.level, o.objectid) AS rank"
    " FROM gar_object o JOIN gar_tree t ON t.objectid = o.objectid"
    " LEFT JOIN gar_tree p ON p.objectid = t.parent"
    " WHERE o.name IS NOT NULL AND o.name <> '' AND t.oktmo IS NOT NULL"
    " AND (p.eff IS NULL OR p.eff <> t.oktmo)"
    ") named WHERE rank = 1"
)


class ImportProgress(Protocol):
    """Told what the import is doing: a phase with its total, then advances towards it."""

    def phase(self, description: str, total: int) -> None: ...

    def advance(self, amount: int) -> None: ...


class _Silent:
    def phase(self, description: str, total: int) -> None:
        return

    def advance(self, amount: int) -> None:
        return


@dataclass(frozen=True, slots=True)
class ImportReport:
    region: str
    source: str
    objects: int
    """Objects in force that now resolve to a municipality."""
    without_municipality: int
    """Objects in force whose hierarchy gives no OKTMO at all (they cannot be resolved)."""
    municipalities: int
    """OKTMO codes named by the import."""
    by_level: dict[int, int] = field(default_factory=dict)
    """Resolvable objects per ГАР level."""
    seconds: float = 0.0


async def _delete_generation(db: BulkConnection, generation: int) -> None:
    for table in ("identity_territory", "identity_municipality"):
        while await db.execute(
            f"DELETE FROM {table} WHERE id IN "  # noqa: S608 - fixed table names
            f"(SELECT id FROM {table} WHERE generation = ? LIMIT {_CHUNK})",
            generation,
        ):
            pass


async def _claim(db: BulkConnection, region: str, source: str) -> int:
    """A new generation for ``region``, recorded as pending; rows a crashed import of the
    region left behind are deleted first."""
    async with db.transaction():
        if not db.sqlite:
            # Two imports must not take the same generation number.
            await db.execute("LOCK TABLE identity_territory_import IN EXCLUSIVE MODE")
        (highest,) = await db.fetch(
            "SELECT MAX(generation), MAX(pending) FROM identity_territory_import"
        )
        generation = max(highest[0] or 0, highest[1] or 0) + 1
        rows = await db.fetch(
            "SELECT pending FROM identity_territory_import WHERE region = ?", region
        )
        if rows:
            leftover = rows[0][0]
            await db.execute(
                "UPDATE identity_territory_import SET pending = ? WHERE region = ?",
                generation,
                region,
            )
        else:
            leftover = None
            await db.execute(
                "INSERT INTO identity_territory_import (region, generation, pending, "
                "imported_at, source, object_count, municipality_count) "
                "VALUES (?, NULL, ?, ?, ?, 0, 0)",
                region,
                generation,
                dt.datetime.now(dt.UTC),
                source[-300:],
            )
    if leftover is not None:
        await _delete_generation(db, leftover)
    return generation


async def _release(db: BulkConnection, region: str, generation: int) -> None:
    """After a failure: the pending rows go, the serving generation stays as it was."""
    await _delete_generation(db, generation)
    await db.execute(
        "UPDATE identity_territory_import SET pending = NULL WHERE region = ? AND pending = ?",
        region,
        generation,
    )


async def _stage(
    db: BulkConnection, extract: RegionExtract, today: str, progress: ImportProgress
) -> None:
    for statement in _STAGING:
        await db.execute(statement)
    progress.phase(f"region {extract.region}: reading the register", extract.size)
    for batch in read_hierarchy(extract.files["MUN_HIERARCHY"], today, progress.advance):
        await db.insert("gar_item", ("objectid", "parent", "oktmo"), batch)
    n = 0
    for kind in OBJECT_KINDS:
        file = extract.files.get(kind)
        if file is None:
            continue
        for objects in read_objects(file, today, progress.advance):
            rows = [(n + i, *o) for i, o in enumerate(objects)]
            n += len(rows)
            await db.insert("gar_object", ("n", "objectid", "guid", "level", "name"), rows)


async def _resolve(db: BulkConnection, progress: ImportProgress) -> None:
    progress.phase("resolving municipalities through the hierarchy", 0)
    await db.execute("CREATE INDEX gar_object_objectid ON gar_object (objectid)")
    await db.execute(_TREE)
    await db.execute("CREATE UNIQUE INDEX gar_tree_objectid ON gar_tree (objectid)")
    # PostgreSQL never analyses temporary tables by itself; without statistics it plans the
    # joins below blind.
    await db.execute("ANALYZE gar_object")
    await db.execute("ANALYZE gar_tree")
    # One pass per level of depth at most; a cycle or an orphan simply stays unresolved.
    while await db.execute(_INHERIT):
        pass


def _chunks(total: int) -> Iterator[tuple[int, int]]:
    for start in range(0, total, _CHUNK):
        yield start, min(start + _CHUNK, total)


async def _write(
    db: BulkConnection, region: str, generation: int, progress: ImportProgress
) -> tuple[int, int]:
    (count,) = await db.fetch("SELECT COUNT(*) FROM gar_object")
    total = int(count[0])
    progress.phase("writing objects", total)
    for start, end in _chunks(total):
        async with db.transaction():
            await db.execute(_MOVE_OBJECTS, region, generation, start, end)
        progress.advance(end - start)
    async with db.transaction():
        await db.execute(_NAME_MUNICIPALITIES, region, generation)
    return total, int(
        (
            await db.fetch(
                "SELECT COUNT(*) FROM identity_municipality WHERE generation = ?", generation
            )
        )[0][0]
    )


async def _swap(
    db: BulkConnection, extract: RegionExtract, generation: int, objects: int, municipalities: int
) -> int | None:
    """Make ``generation`` serve the region; the generation it replaces."""
    async with db.transaction():
        rows = await db.fetch(
            "SELECT generation, pending FROM identity_territory_import WHERE region = ?",
            extract.region,
        )
        if not rows or rows[0][1] != generation:
            raise GarFormatError(
                f"region {extract.region}: another import of the region started meanwhile; "
                "run one import per region at a time"
            )
        await db.execute(
            "UPDATE identity_territory_import SET generation = ?, pending = NULL, "
            "imported_at = ?, source = ?, object_count = ?, municipality_count = ? "
            "WHERE region = ?",
            generation,
            dt.datetime.now(dt.UTC),
            extract.source[-300:],
            objects,
            municipalities,
            extract.region,
        )
    old = rows[0][0]
    return int(old) if old is not None else None


async def import_region(
    database_url: str,
    extract: RegionExtract,
    *,
    today: dt.date | None = None,
    progress: ImportProgress | None = None,
) -> ImportReport:
    """Replace the territory data of ``extract.region`` with the register's, atomically.

    Raises :class:`GarFormatError` (and leaves the old data serving) when the export cannot
    be read or holds no object with a municipality.
    """
    started = time.monotonic()
    shown = progress or _Silent()
    day = (today or dt.datetime.now(dt.UTC).date()).isoformat()
    db = await connect(database_url)
    try:
        generation = await _claim(db, extract.region, extract.source)
        try:
            await _stage(db, extract, day, shown)
            await _resolve(db, shown)
            staged, municipalities = await _write(db, extract.region, generation, shown)
            levels = await db.fetch(
                "SELECT level, COUNT(*) FROM identity_territory WHERE generation = ? "
                "GROUP BY level ORDER BY level",
                generation,
            )
            by_level = {int(level): int(count) for level, count in levels}
            objects = sum(by_level.values())
            if objects == 0:
                raise GarFormatError(
                    f"{extract.source}: no object in force has an OKTMO code in the municipal "
                    "hierarchy; nothing to import (the region's data is left as it was)"
                )
            old = await _swap(db, extract, generation, objects, municipalities)
        except BaseException:
            # Best effort: if this fails too, the next import of the region cleans up.
            with contextlib.suppress(Exception):
                await _release(db, extract.region, generation)
            raise
        if old is not None:
            shown.phase("deleting the previous import", 0)
            await _delete_generation(db, old)
    finally:
        await db.close()
    return ImportReport(
        region=extract.region,
        source=extract.source,
        objects=objects,
        without_municipality=staged - objects,
        municipalities=municipalities,
        by_level=by_level,
        seconds=time.monotonic() - started,
    )
