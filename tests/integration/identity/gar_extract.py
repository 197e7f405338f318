"""Small ГАР-format extracts, written the way the Federal Tax Service writes the export: one
region's folder with AS_ADDR_OBJ, AS_HOUSES, AS_STEADS, AS_APARTMENTS and AS_MUN_HIERARCHY
files, the element and attribute names of the official XSD.

``TYUMEN`` is a region of several levels: a city okrug with its city, streets, houses and an
apartment; a municipal district with a rural settlement, a workers' settlement, a street, a
house and a stead; historical and inactive records that must not count; objects whose OKTMO
comes from an ancestor.
"""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

__all__ = (
    "TYUMEN",
    "Extract",
    "House",
    "Item",
    "Place",
    "guid",
    "write_region",
    "write_zip",
)

FOREVER = "2079-06-06"
EXPORT = "20261120"


def guid(n: int) -> str:
    """A stable GUID per object number, so tests can name codes."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"gar-test-{n}"))


@dataclass(frozen=True)
class Place:
    """An address object (AS_ADDR_OBJ): region, district, settlement, city, street."""

    objectid: int
    typename: str
    name: str
    level: int
    actual: str = "1"
    active: str = "1"
    start: str = "1900-01-01"
    end: str = FOREVER
    record_id: int = 0


@dataclass(frozen=True)
class House:
    """A house (AS_HOUSES), stead (AS_STEADS) or apartment (AS_APARTMENTS)."""

    objectid: int
    number: str
    kind: str = "HOUSE"
    actual: str = "1"
    active: str = "1"
    start: str = "1900-01-01"
    end: str = FOREVER


@dataclass(frozen=True)
class Item:
    """An item of the municipal hierarchy (AS_MUN_HIERARCHY)."""

    objectid: int
    parent: int | None
    oktmo: str | None = None
    active: str = "1"
    path: str = ""
    start: str = "1900-01-01"
    end: str = FOREVER


@dataclass(frozen=True)
class Extract:
    places: Sequence[Place]
    houses: Sequence[House]
    items: Sequence[Item]


def _attrs(**values: object) -> str:
    return " ".join(f"{k}={quoteattr(str(v))}" for k, v in values.items() if v is not None)


def _places(places: Iterable[Place]) -> str:
    rows = [
        "<OBJECT "
        + _attrs(
            ID=p.record_id or p.objectid * 10,
            OBJECTID=p.objectid,
            OBJECTGUID=guid(p.objectid),
            CHANGEID=p.objectid * 7,
            NAME=p.name,
            TYPENAME=p.typename,
            LEVEL=p.level,
            OPERTYPEID=1,
            PREVID=0,
            NEXTID=0,
            UPDATEDATE="2026-11-01",
            STARTDATE=p.start,
            ENDDATE=p.end,
            ISACTUAL=p.actual,
            ISACTIVE=p.active,
        )
        + " />"
        for p in places
    ]
    return "<ADDRESSOBJECTS>" + "\n".join(rows) + "</ADDRESSOBJECTS>"


_NUMBER = {"HOUSE": "HOUSENUM", "STEAD": "NUMBER", "APARTMENT": "NUMBER"}
_ROOT = {"HOUSE": "HOUSES", "STEAD": "STEADS", "APARTMENT": "APARTMENTS"}


def _houses(kind: str, houses: Iterable[House]) -> str:
    rows = [
        f"<{kind} "
        + _attrs(
            ID=h.objectid * 10,
            OBJECTID=h.objectid,
            OBJECTGUID=guid(h.objectid),
            CHANGEID=h.objectid * 7,
            **{_NUMBER[kind]: h.number},
            OPERTYPEID=10,
            UPDATEDATE="2026-11-01",
            STARTDATE=h.start,
            ENDDATE=h.end,
            ISACTUAL=h.actual,
            ISACTIVE=h.active,
        )
        + " />"
        for h in houses
        if h.kind == kind
    ]
    return f"<{_ROOT[kind]}>" + "\n".join(rows) + f"</{_ROOT[kind]}>"


def _items(items: Iterable[Item]) -> str:
    rows = [
        "<ITEM "
        + _attrs(
            ID=n + 1,
            OBJECTID=i.objectid,
            PARENTOBJID=i.parent,
            CHANGEID=i.objectid * 7,
            OKTMO=i.oktmo,
            PREVID=0,
            NEXTID=0,
            UPDATEDATE="2026-11-01",
            STARTDATE=i.start,
            ENDDATE=i.end,
            ISACTIVE=i.active,
            PATH=i.path or str(i.objectid),
        )
        + " />"
        for n, i in enumerate(items)
    ]
    return "<ITEMS>" + "\n".join(rows) + "</ITEMS>"


def _documents(extract: Extract) -> dict[str, str]:
    return {
        "ADDR_OBJ": _places(extract.places),
        "HOUSES": _houses("HOUSE", extract.houses),
        "STEADS": _houses("STEAD", extract.houses),
        "APARTMENTS": _houses("APARTMENT", extract.houses),
        "MUN_HIERARCHY": _items(extract.items),
    }


def file_name(kind: str) -> str:
    return f"AS_{kind}_{EXPORT}_{guid(sum(map(ord, kind)))}.XML"


def write_region(root: Path, region: str, extract: Extract) -> Path:
    """``root/<region>/AS_*.XML``; the region's folder."""
    folder = root / region
    folder.mkdir(parents=True, exist_ok=True)
    for kind, text in _documents(extract).items():
        (folder / file_name(kind)).write_text(
            '<?xml version="1.0" encoding="utf-8"?>\n' + text, encoding="utf-8"
        )
    return folder


def write_zip(path: Path, region: str, extract: Extract) -> Path:
    """The export as the FTS publishes it: one zip, a folder per region."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for kind, text in _documents(extract).items():
            archive.writestr(f"{region}/{file_name(kind)}", text.encode())
    return path


# Object numbers name the codes in the tests: guid(13) is house 1 on Республики street.
REGION, TYUMEN_OKRUG, TYUMEN_CITY, RESPUBLIKI, HOUSE_1, HOUSE_2, FLAT_5 = 1, 10, 11, 12, 13, 14, 15
OLD_STREET, CLOSED_STREET, UNLINKED_STREET = 16, 17, 18
DISTRICT, BOROVSKOE, BOROVSKY, OSTROVSKOGO, HOUSE_7, DEMOLISHED, STEAD_3 = (
    20,
    21,
    22,
    23,
    24,
    25,
    26,
)
RENAMED_HISTORY = 30

TYUMEN = Extract(
    places=(
        Place(REGION, "обл", "Тюменская", 1),
        Place(TYUMEN_OKRUG, "г.о.", "город Тюмень", 3),
        Place(TYUMEN_CITY, "г", "Тюмень", 5),
        Place(RESPUBLIKI, "ул", "Республики", 8),
        # The street's name before a renaming: a historical record of the same object.
        Place(RESPUBLIKI, "ул", "Старая Республики", 8, actual="0", record_id=RENAMED_HISTORY),
        Place(OLD_STREET, "ул", "Снесённая", 8, actual="0"),
        Place(CLOSED_STREET, "ул", "Закрытая", 8, active="0"),
        Place(UNLINKED_STREET, "ул", "Без иерархии", 8),
        Place(DISTRICT, "м.р-н", "Тюменский", 3),
        Place(BOROVSKOE, "с.п.", "Боровское", 4),
        Place(BOROVSKY, "рп", "Боровский", 6),
        Place(OSTROVSKOGO, "ул", "Островского", 8),
    ),
    houses=(
        House(HOUSE_1, "1"),
        House(HOUSE_2, "2"),
        House(FLAT_5, "5", kind="APARTMENT"),
        House(HOUSE_7, "7"),
        House(DEMOLISHED, "9", end="2020-01-01"),
        House(STEAD_3, "3", kind="STEAD"),
    ),
    items=(
        Item(REGION, None),
        Item(TYUMEN_OKRUG, REGION, "71701000"),
        Item(TYUMEN_CITY, TYUMEN_OKRUG, "71701000001"),
        # Moved once: the old placement is no longer active.
        Item(RESPUBLIKI, DISTRICT, "71644000", active="0"),
        Item(RESPUBLIKI, TYUMEN_CITY),
        Item(HOUSE_1, RESPUBLIKI, "71701000001"),
        Item(HOUSE_2, RESPUBLIKI),
        Item(FLAT_5, HOUSE_2),
        Item(OLD_STREET, TYUMEN_CITY),
        Item(CLOSED_STREET, TYUMEN_CITY),
        Item(UNLINKED_STREET, TYUMEN_CITY, "71701000001", active="0"),
        Item(DISTRICT, REGION, "71644000"),
        Item(BOROVSKOE, DISTRICT, "71644404"),
        Item(BOROVSKY, BOROVSKOE, "71644404051"),
        Item(OSTROVSKOGO, BOROVSKY),
        Item(HOUSE_7, OSTROVSKOGO),
        Item(DEMOLISHED, OSTROVSKOGO),
        Item(STEAD_3, BOROVSKY),
    ),
)
