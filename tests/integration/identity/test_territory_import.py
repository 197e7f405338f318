"""Importing a region of the address register into the identity database (SQLite and
PostgreSQL): every level resolves to its municipality, re-imports replace the region
atomically, and a damaged or hostile export changes nothing."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.roles import roles_app
from cli.territory import territory_app
from shared.db.engine import bind_tables, create_engine
from shared.identity.tables import TABLES, RefusedAddressCode, TerritoryImport, TerritoryObject
from shared.identity.territory import (
    GarFormatError,
    TerritoryStore,
    find_regions,
    import_region,
)
from shared.identity.territory._bulk import connect
from tests.integration.identity import gar_extract as g
from tests.unit.identity.test_gar_reader import BOMB

EXPECTED = {
    # object: (OKTMO, ГАР level)
    g.TYUMEN_OKRUG: ("71701000", 3),
    g.TYUMEN_CITY: ("71701000001", 5),
    g.RESPUBLIKI: ("71701000001", 8),  # the street's own item has no OKTMO: the city's
    g.HOUSE_1: ("71701000001", 10),
    g.HOUSE_2: ("71701000001", 10),
    g.FLAT_5: ("71701000001", 11),  # from its grandparent
    g.DISTRICT: ("71644000", 3),
    g.BOROVSKOE: ("71644404", 4),
    g.BOROVSKY: ("71644404051", 6),
    g.OSTROVSKOGO: ("71644404051", 8),
    g.HOUSE_7: ("71644404051", 10),  # from two levels up
    g.STEAD_3: ("71644404051", 9),
}
NOT_RESOLVED = {
    g.REGION: "the region itself has no OKTMO",
    g.OLD_STREET: "historical record",
    g.CLOSED_STREET: "inactive record",
    g.UNLINKED_STREET: "its only hierarchy item is inactive",
    g.DEMOLISHED: "ended in 2020",
}


@pytest.fixture
def url(identity_url: str) -> str:
    bind_tables(TABLES, create_engine(identity_url))
    return identity_url


@pytest.fixture
async def store(url: str) -> AsyncIterator[TerritoryStore]:
    territory = TerritoryStore(TerritoryObject._meta.db)
    yield territory
    await territory.close()


async def _import(url: str, root: Path, extract: g.Extract = g.TYUMEN) -> int:
    folder = g.write_region(root, "72", extract)
    (region,) = find_regions(folder)
    report = await import_region(url, region)
    return report.objects


async def _rows() -> int:
    return int(await TerritoryObject.count())


async def test_every_level_resolves_to_its_municipality(
    url: str, store: TerritoryStore, tmp_path: Path
) -> None:
    assert await _import(url, tmp_path) == len(EXPECTED)
    for objectid, (oktmo, level) in EXPECTED.items():
        placement = await store.resolve(g.guid(objectid))
        assert placement is not None, objectid
        assert (placement.oktmo, placement.level, placement.region) == (oktmo, level, "72")
    for objectid, why in NOT_RESOLVED.items():
        assert await store.resolve(g.guid(objectid)) is None, why
    assert await store.resolve(g.guid(g.HOUSE_1).upper()) is not None
    assert await store.resolve("not a code") is None


async def test_municipalities_are_named_with_their_place_in_the_hierarchy(
    url: str, store: TerritoryStore, tmp_path: Path
) -> None:
    await _import(url, tmp_path)
    named = await store.municipalities(
        ["71701000", "71701000001", "71644000", "71644404", "71644404051", "71999000", "x"]
    )
    assert {code: (m.name, m.parent_oktmo, m.level) for code, m in named.items()} == {
        "71701000": ("г.о. город Тюмень", None, 3),
        "71701000001": ("г Тюмень", "71701000", 5),
        "71644000": ("м.р-н Тюменский", None, 3),
        "71644404": ("с.п. Боровское", "71644000", 4),
        "71644404051": ("рп Боровский", "71644404", 6),
    }
    assert [m.oktmo for m in await store.search("Боров")] == ["71644404", "71644404051"]
    assert [m.oktmo for m in await store.search("716444")] == ["71644404", "71644404051"]
    assert await store.search("Москва") == []


async def test_reimport_replaces_the_region_and_keeps_no_old_rows(
    url: str, store: TerritoryStore, tmp_path: Path
) -> None:
    await _import(url, tmp_path / "first")
    assert await _import(url, tmp_path / "again") == len(EXPECTED)
    assert await _rows() == len(EXPECTED)
    # The next export moves house 1 into the Borovsky settlement.
    moved = dataclasses.replace(
        g.TYUMEN,
        items=[
            g.Item(g.HOUSE_1, g.OSTROVSKOGO) if i.objectid == g.HOUSE_1 else i
            for i in g.TYUMEN.items
        ],
    )
    await _import(url, tmp_path / "moved", moved)
    placement = await store.resolve(g.guid(g.HOUSE_1))
    assert placement is not None
    assert placement.oktmo == "71644404051"
    assert await _rows() == len(EXPECTED)
    (region,) = await store.regions()
    assert (region.serving, region.importing, region.objects) == (True, False, len(EXPECTED))


def _truncate_houses(folder: Path) -> None:
    (path,) = folder.glob("AS_HOUSES_2*.XML")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])


def _bomb_addresses(folder: Path) -> None:
    (path,) = folder.glob("AS_ADDR_OBJ_2*.XML")
    path.write_bytes(BOMB)


@pytest.mark.parametrize(
    ("damage", "why"),
    [(_truncate_houses, "not well-formed XML"), (_bomb_addresses, "XML bomb")],
)
async def test_a_damaged_or_hostile_export_changes_nothing(
    url: str, store: TerritoryStore, tmp_path: Path, damage: object, why: str
) -> None:
    await _import(url, tmp_path / "good")
    before = await store.resolve(g.guid(g.HOUSE_7))
    folder = g.write_region(tmp_path / "bad", "72", g.TYUMEN)
    assert callable(damage)
    damage(folder)
    (region,) = find_regions(folder)
    with pytest.raises(GarFormatError, match=why):
        await import_region(url, region)
    assert await store.resolve(g.guid(g.HOUSE_7)) == before
    assert await _rows() == len(EXPECTED)
    (state,) = await store.regions()
    assert (state.serving, state.importing) == (True, False)


async def test_a_failed_first_import_serves_nothing(
    url: str, store: TerritoryStore, tmp_path: Path
) -> None:
    folder = g.write_region(tmp_path, "72", g.TYUMEN)
    _truncate_houses(folder)
    (region,) = find_regions(folder)
    with pytest.raises(GarFormatError):
        await import_region(url, region)
    assert await store.resolve(g.guid(g.HOUSE_1)) is None
    assert await _rows() == 0


async def test_an_export_without_any_municipality_is_refused(url: str, tmp_path: Path) -> None:
    bare = dataclasses.replace(
        g.TYUMEN, items=[dataclasses.replace(i, oktmo=None) for i in g.TYUMEN.items]
    )
    folder = g.write_region(tmp_path, "72", bare)
    (region,) = find_regions(folder)
    with pytest.raises(GarFormatError, match="no object in force has an OKTMO code"):
        await import_region(url, region)


async def test_rows_an_import_is_writing_are_invisible_and_a_crashed_ones_are_deleted(
    url: str, store: TerritoryStore, tmp_path: Path
) -> None:
    await _import(url, tmp_path / "good")
    # What a crashed import leaves: rows of a pending generation, one naming house 1
    # elsewhere. Until swapped in they do not serve.
    db = await connect(url)
    try:
        await db.execute("UPDATE identity_territory_import SET pending = 999 WHERE region = '72'")
        await db.execute(
            "INSERT INTO identity_territory (fias, oktmo, level, region, generation) "
            "VALUES (?, '71999000', 10, '72', 999)",
            g.guid(g.HOUSE_1),
        )
    finally:
        await db.close()
    placement = await store.resolve(g.guid(g.HOUSE_1))
    assert placement is not None
    assert placement.oktmo == "71701000001"
    await _import(url, tmp_path / "next")
    assert await TerritoryObject.count().where(TerritoryObject.generation == 999) == 0
    assert await _rows() == len(EXPECTED)
    pending = await TerritoryImport.select(TerritoryImport.pending).first()
    assert pending == {"pending": None}


async def test_the_zip_archive_imports_like_the_folder(
    url: str, store: TerritoryStore, tmp_path: Path
) -> None:
    (region,) = find_regions(g.write_zip(tmp_path / "gar_xml.zip", "72", g.TYUMEN), "72")
    report = await import_region(url, region)
    assert (report.objects, report.municipalities) == (len(EXPECTED), 5)
    assert report.by_level == {3: 2, 4: 1, 5: 1, 6: 1, 8: 2, 9: 1, 10: 3, 11: 1}
    assert report.without_municipality == 2  # the region and the unlinked street
    assert await store.resolve(g.guid(g.FLAT_5)) is not None


async def test_refused_codes_are_counted_per_day_and_forgotten_later(
    url: str, store: TerritoryStore
) -> None:
    today = dt.date(2026, 11, 27)
    code = g.guid(999)
    for day in (today, today, today - dt.timedelta(days=1), today - dt.timedelta(days=40)):
        await store.record_refusal(code, day)
    recent = await store.refused_codes(today - dt.timedelta(days=13))
    assert [(r.day, r.refusals) for r in recent] == [
        (today, 2),
        (today - dt.timedelta(days=1), 1),
    ]
    await store.forget_refusals_before(today - dt.timedelta(days=30))
    assert len(await store.refused_codes(dt.date(2000, 1, 1))) == 2
    # Nothing but the code, the day and the count.
    stored = await RefusedAddressCode.select()
    assert {k for row in stored for k in row} == {"id", "key", "code", "day", "refusals"}


def test_cli_imports_reports_and_refuses_a_damaged_export(
    identity_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VMESTE_IDENTITY_DATABASE_URL", identity_url)
    runner = CliRunner()
    g.write_region(tmp_path / "gar", "72", g.TYUMEN)
    done = runner.invoke(territory_app, ["import", str(tmp_path / "gar"), "--region", "72"])
    assert done.exit_code == 0, done.output
    assert "region 72: 12 objects resolve to 5 municipalities" in done.output
    assert "houses" in done.output
    status = runner.invoke(territory_app, ["status"])
    assert "region 72: serving; 12 objects, 5 municipalities" in status.output
    # Organisations name any municipality of the register as their territory.
    made = runner.invoke(
        roles_app,
        ["organisation", "borovskoe", "--name", "Боровское", "--territory", "71644404"],
    )
    assert made.exit_code == 0, made.output
    assert "71644404  с.п. Боровское" in made.output
    _truncate_houses(tmp_path / "gar" / "72")
    refused = runner.invoke(territory_app, ["import", str(tmp_path / "gar" / "72")])
    assert refused.exit_code == 2
    assert "not well-formed XML" in refused.output
    assert "nothing changed, the old data serves" in refused.output
    missing = runner.invoke(territory_app, ["import", str(tmp_path / "gar"), "--region", "77"])
    assert missing.exit_code == 2
    assert "no register files of region 77" in missing.output
    assert "no refused codes" in runner.invoke(territory_app, ["refused"]).output
