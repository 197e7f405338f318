"""Reading the ГАР export: finding a region's files, streaming only what is in force, and
refusing a damaged or hostile file with its name and what to do."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from shared.identity.territory.gar import (
    GarFile,
    GarFormatError,
    HierarchyItem,
    RegisterObject,
    find_regions,
    read_hierarchy,
    read_objects,
)
from tests.integration.identity import gar_extract as g

TODAY = "2026-11-27"
BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE ADDRESSOBJECTS [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
]>
<ADDRESSOBJECTS><OBJECT OBJECTID="1" OBJECTGUID="00000000-0000-4000-8000-000000000001"
 NAME="&e;" TYPENAME="g" LEVEL="5" ISACTUAL="1" ISACTIVE="1" /></ADDRESSOBJECTS>"""


@pytest.fixture
def region(tmp_path: Path) -> Path:
    return g.write_region(tmp_path / "gar", "72", g.TYUMEN)


def _nothing(_: int) -> None:
    return


def _objects(file: GarFile) -> list[RegisterObject]:
    return [o for batch in read_objects(file, TODAY, _nothing) for o in batch]


def _items(file: GarFile) -> list[HierarchyItem]:
    return [i for batch in read_hierarchy(file, TODAY, _nothing) for i in batch]


def _file(path: Path, kind: str) -> GarFile:
    return GarFile(
        kind=kind, name=path.name, size=path.stat().st_size, open=lambda: path.open("rb")
    )


def _one(folder: Path, kind: str) -> Path:
    (path,) = folder.glob(f"AS_{kind}_2*.XML")
    return path


def test_a_region_folder_an_unpacked_export_and_the_zip_name_the_same_files(
    region: Path, tmp_path: Path
) -> None:
    kinds = {"ADDR_OBJ", "HOUSES", "STEADS", "APARTMENTS", "MUN_HIERARCHY"}
    (own,) = find_regions(region)
    (unpacked,) = find_regions(region.parent, "72")
    (zipped,) = find_regions(g.write_zip(tmp_path / "gar_xml.zip", "72", g.TYUMEN))
    for extract in (own, unpacked, zipped):
        assert extract.region == "72"
        assert set(extract.files) == kinds
    assert _objects(zipped.files["HOUSES"]) == _objects(own.files["HOUSES"])


def test_parameter_and_other_files_of_the_export_are_not_mistaken_for_objects(
    region: Path,
) -> None:
    (region / "AS_HOUSES_PARAMS_20261120_0b3f4a4e-1111-2222-3333-444455556666.XML").write_text(
        "<PARAMS />"
    )
    (region / "AS_ADDR_OBJ_DIVISION_20261120_0b3f4a4e-1111-2222-3333-444455556666.XML").write_text(
        "<ITEMS />"
    )
    (extract,) = find_regions(region)
    assert "PARAMS" not in extract.files["HOUSES"].name
    assert "DIVISION" not in extract.files["ADDR_OBJ"].name


def test_only_records_in_force_are_read(region: Path) -> None:
    places = {o.objectid: o for o in _objects(_file(_one(region, "ADDR_OBJ"), "ADDR_OBJ"))}
    # Historical (ISACTUAL=0) and inactive (ISACTIVE=0) records are skipped; the renamed
    # street is read once, under its current name.
    assert g.OLD_STREET not in places
    assert g.CLOSED_STREET not in places
    assert places[g.RESPUBLIKI].name == "ул Республики"
    assert places[g.TYUMEN_CITY] == RegisterObject(
        g.TYUMEN_CITY, g.guid(g.TYUMEN_CITY), 5, "г Тюмень"
    )
    houses = {o.objectid for o in _objects(_file(_one(region, "HOUSES"), "HOUSES"))}
    assert houses == {g.HOUSE_1, g.HOUSE_2, g.HOUSE_7}  # the demolished house ended in 2020
    items = _items(_file(_one(region, "MUN_HIERARCHY"), "MUN_HIERARCHY"))
    assert HierarchyItem(g.RESPUBLIKI, g.TYUMEN_CITY, None) in items
    assert not any(i.objectid == g.RESPUBLIKI and i.parent == g.DISTRICT for i in items)
    assert not any(i.objectid == g.UNLINKED_STREET for i in items)


def test_houses_steads_and_apartments_carry_their_level(region: Path) -> None:
    (extract,) = find_regions(region)
    levels = {
        kind: {o.level for o in _objects(extract.files[kind])}
        for kind in ("HOUSES", "STEADS", "APARTMENTS")
    }
    assert levels == {"HOUSES": {10}, "STEADS": {9}, "APARTMENTS": {11}}


def test_reading_counts_every_byte_for_the_progress_bar(region: Path) -> None:
    (extract,) = find_regions(region)
    file = extract.files["MUN_HIERARCHY"]
    read: list[int] = []
    _ = [b for b in read_hierarchy(file, TODAY, read.append)]
    assert sum(read) == file.size


def test_a_truncated_file_is_refused_with_its_name_and_line(region: Path) -> None:
    path = _one(region, "HOUSES")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(GarFormatError, match=rf"{path.name}: not well-formed XML .*line \d+"):
        _objects(_file(path, "HOUSES"))


def test_an_xml_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    path = tmp_path / "AS_ADDR_OBJ_20261120_00000000-0000-0000-0000-000000000000.XML"
    path.write_bytes(BOMB)
    with pytest.raises(GarFormatError, match=r"declares a DTD .* XML bomb"):
        _objects(_file(path, "ADDR_OBJ"))


def test_a_file_of_another_kind_is_refused(region: Path) -> None:
    with pytest.raises(GarFormatError, match=r"root element is <HOUSES>, not <ADDRESSOBJECTS>"):
        _objects(_file(_one(region, "HOUSES"), "ADDR_OBJ"))


@pytest.mark.parametrize(
    ("record", "why"),
    [
        ('<HOUSE OBJECTID="5" ISACTUAL="1" ISACTIVE="1" />', "OBJECTGUID missing"),
        (
            '<HOUSE OBJECTID="x" OBJECTGUID="00000000-0000-4000-8000-000000000001" />',
            "OBJECTID missing or not a number",
        ),
        ("<PARAM />", "unexpected <PARAM>"),
    ],
)
def test_a_record_without_its_identifiers_is_refused(tmp_path: Path, record: str, why: str) -> None:
    path = tmp_path / "houses.xml"
    path.write_text(f"<HOUSES>\n{record}\n</HOUSES>")
    with pytest.raises(GarFormatError, match=rf"houses.xml, line 2: {why}"):
        _objects(_file(path, "HOUSES"))


def test_an_oktmo_that_is_not_a_code_counts_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "items.xml"
    path.write_text(
        '<ITEMS><ITEM OBJECTID="5" PARENTOBJID="4" OKTMO="7170" ISACTIVE="1" /></ITEMS>'
    )
    assert _items(_file(path, "MUN_HIERARCHY")) == [HierarchyItem(5, 4, None)]


def test_an_export_without_a_needed_file_is_refused(region: Path) -> None:
    _one(region, "MUN_HIERARCHY").unlink()
    with pytest.raises(
        GarFormatError, match=r"no AS_MUN_HIERARCHY_\*\.XML; is the export complete"
    ):
        find_regions(region)


def test_a_missing_region_or_path_is_refused(region: Path, tmp_path: Path) -> None:
    with pytest.raises(GarFormatError, match="no register files of region 77"):
        find_regions(region.parent, "77")
    with pytest.raises(GarFormatError, match="no such file or folder"):
        find_regions(tmp_path / "nowhere")
    with pytest.raises(GarFormatError, match="two-digit code"):
        find_regions(region, "Tyumen")


def test_a_truncated_zip_is_refused(tmp_path: Path) -> None:
    archive = g.write_zip(tmp_path / "gar_xml.zip", "72", g.TYUMEN)
    data = archive.read_bytes()
    archive.write_bytes(data[: len(data) - 200])
    with pytest.raises(GarFormatError, match="not a readable zip archive"):
        find_regions(archive)


def test_a_damaged_member_of_the_zip_is_refused(tmp_path: Path) -> None:
    archive = g.write_zip(tmp_path / "gar_xml.zip", "72", g.TYUMEN)
    with zipfile.ZipFile(archive) as z:
        info = next(i for i in z.infolist() if "HOUSES" in i.filename)
    data = bytearray(archive.read_bytes())
    # Flip bytes in the middle of the member's compressed data.
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 5, start + 15):
        data[offset] ^= 0xFF
    archive.write_bytes(bytes(data))
    (extract,) = find_regions(archive)
    with pytest.raises(GarFormatError, match="HOUSES"):
        _objects(extract.files["HOUSES"])
