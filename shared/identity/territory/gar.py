"""Reading the ГАР (GAR, государственный адресный реестр) XML export, streaming.

The Federal Tax Service publishes the register as ``gar_xml.zip``: one folder per region
(``72/`` for the Tyumen region) holding, among others,

- ``AS_ADDR_OBJ_<date>_<guid>.XML``: ``<ADDRESSOBJECTS><OBJECT …/>`` — regions, districts,
  cities, settlements, streets (OBJECTID, OBJECTGUID, NAME, TYPENAME, LEVEL, ISACTUAL,
  ISACTIVE, STARTDATE, ENDDATE);
- ``AS_HOUSES_…``, ``AS_STEADS_…``, ``AS_APARTMENTS_…``: ``<HOUSES><HOUSE …/>``,
  ``<STEADS><STEAD …/>``, ``<APARTMENTS><APARTMENT …/>`` (OBJECTID, OBJECTGUID, ISACTUAL,
  ISACTIVE, STARTDATE, ENDDATE);
- ``AS_MUN_HIERARCHY_…``: ``<ITEMS><ITEM …/>`` — the municipal hierarchy, one item per object
  (OBJECTID, PARENTOBJID, OKTMO, PATH, ISACTIVE, STARTDATE, ENDDATE).

Each file is read with ``lxml.etree.iterparse``, every record cleared once read, so memory
stays flat however large the file. Entities are never expanded, no DTD or network resource
is loaded, and a file that declares a DTD at all (the register's never do) is refused: that
is how an XML bomb would arrive. A file that is not well-formed, truncated, of the wrong
kind or missing an identifier is refused with its name, the line and what to do.

Only what is in force counts: address objects and houses with ISACTUAL=1 and ISACTIVE=1,
hierarchy items with ISACTIVE=1, and all of them only between their STARTDATE and ENDDATE.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, NamedTuple

from lxml import etree

__all__ = (
    "BATCH",
    "OBJECT_KINDS",
    "GarFile",
    "GarFormatError",
    "HierarchyItem",
    "RegionExtract",
    "RegisterObject",
    "find_regions",
    "read_hierarchy",
    "read_objects",
)

BATCH = 5000
"""Records handed over at a time: big enough to amortise an insert, small enough to ignore."""

_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_OKTMO = re.compile(r"^[0-9]{8}([0-9]{3})?$")
_REGION = re.compile(r"^[0-9]{2}$")
# AS_HOUSES_20250101_<guid>.XML, and not AS_HOUSES_PARAMS_… (the date follows the kind).
_FILE = re.compile(
    r"^AS_(ADDR_OBJ|HOUSES|STEADS|APARTMENTS|MUN_HIERARCHY)_[0-9]{8}_[0-9A-Fa-f-]+\.XML$",
    re.IGNORECASE,
)
_TRUE = ("1", "true")
_ROOT_START = re.compile(rb"<[A-Za-z_]")


@dataclass(frozen=True, slots=True)
class _Kind:
    root: str
    record: str
    level: int | None
    """The ГАР level of every record of this kind; None: each record says (LEVEL)."""


_KINDS: dict[str, _Kind] = {
    "ADDR_OBJ": _Kind("ADDRESSOBJECTS", "OBJECT", None),
    "HOUSES": _Kind("HOUSES", "HOUSE", 10),
    "STEADS": _Kind("STEADS", "STEAD", 9),
    "APARTMENTS": _Kind("APARTMENTS", "APARTMENT", 11),
    "MUN_HIERARCHY": _Kind("ITEMS", "ITEM", None),
}
OBJECT_KINDS = ("ADDR_OBJ", "HOUSES", "STEADS", "APARTMENTS")
"""Files whose records are objects ESIA may name, in the order they are read."""
_REQUIRED = ("ADDR_OBJ", "HOUSES", "MUN_HIERARCHY")


class GarFormatError(ValueError):
    """The export cannot be imported as it is; the message names the file and what to do."""


class HierarchyItem(NamedTuple):
    objectid: int
    parent: int | None
    oktmo: str | None


class RegisterObject(NamedTuple):
    objectid: int
    guid: str
    level: int
    name: str | None
    """``TYPENAME NAME`` of address objects (it may name a municipality); None for houses."""


@dataclass(frozen=True, slots=True)
class GarFile:
    """One XML file of a region, in a folder or inside the zip archive."""

    kind: str
    name: str
    size: int
    """Uncompressed size in bytes (the progress bar's unit)."""
    open: Callable[[], IO[bytes]]


@dataclass(frozen=True, slots=True)
class RegionExtract:
    """The files of one region the import reads."""

    region: str
    source: str
    files: dict[str, GarFile]

    @property
    def size(self) -> int:
        return sum(f.size for f in self.files.values())


def _extract(region: str, source: str, files: Sequence[GarFile]) -> RegionExtract:
    by_kind: dict[str, GarFile] = {}
    for file in files:
        if file.kind in by_kind:
            raise GarFormatError(
                f"{source}: two AS_{file.kind} files ({by_kind[file.kind].name}, {file.name}); "
                "keep the one of the export being imported"
            )
        by_kind[file.kind] = file
    missing = [k for k in _REQUIRED if k not in by_kind]
    if missing:
        names = ", ".join(f"AS_{k}_*.XML" for k in missing)
        raise GarFormatError(
            f"{source}: region {region} has no {names}; is the export complete and unpacked?"
        )
    return RegionExtract(region=region, source=source, files=by_kind)


def _kind_of(name: str) -> str | None:
    match = _FILE.match(name)
    return match.group(1).upper() if match else None


def _opener(path: Path) -> Callable[[], IO[bytes]]:
    return lambda: path.open("rb")


def _folder_files(folder: Path) -> list[GarFile]:
    found = []
    for path in sorted(folder.iterdir()):
        kind = _kind_of(path.name)
        if kind is not None and path.is_file():
            found.append(
                GarFile(
                    kind=kind,
                    name=f"{folder.name}/{path.name}",
                    size=path.stat().st_size,
                    open=_opener(path),
                )
            )
    return found


def _from_folder(path: Path, wanted: str | None) -> list[RegionExtract]:
    own = _folder_files(path)
    if own:
        # A region's folder itself: its name is the region code, unless --region says.
        region = wanted or path.name
        if not _REGION.match(region):
            raise GarFormatError(
                f"{path}: a folder of register files not named by its region; give --region"
            )
        return [_extract(region, str(path), own)]
    regions = sorted(p for p in path.iterdir() if p.is_dir() and _REGION.match(p.name))
    if wanted is not None:
        regions = [p for p in regions if p.name == wanted]
    return [_extract(p.name, str(p), _folder_files(p)) for p in regions]


def _from_zip(path: Path, wanted: str | None) -> list[RegionExtract]:
    try:
        archive = zipfile.ZipFile(path)
        members = archive.infolist()
    except (zipfile.BadZipFile, OSError) as exc:
        raise GarFormatError(
            f"{path}: not a readable zip archive ({exc}); was the download cut short?"
        ) from None
    by_region: dict[str, list[GarFile]] = {}
    for member in members:
        parts = member.filename.split("/")
        if len(parts) != 2 or not _REGION.match(parts[0]):
            continue
        kind = _kind_of(parts[1])
        if kind is None or (wanted is not None and parts[0] != wanted):
            continue
        by_region.setdefault(parts[0], []).append(
            GarFile(
                kind=kind,
                name=f"{path.name}:{member.filename}",
                size=member.file_size,
                open=partial(archive.open, member),
            )
        )
    return [_extract(r, f"{path}:{r}/", files) for r, files in sorted(by_region.items())]


def find_regions(path: Path, region: str | None = None) -> list[RegionExtract]:
    """The regions in ``path``: the export's zip, its unpacked folder, or one region's folder.

    With ``region`` only that one, which must be there.
    """
    if region is not None and not _REGION.match(region):
        raise GarFormatError(f"region {region!r}: give the two-digit code, e.g. 72")
    if path.is_dir():
        found = _from_folder(path, region)
    elif path.is_file():
        found = _from_zip(path, region)
    else:
        raise GarFormatError(f"{path}: no such file or folder")
    if not found:
        which = f"region {region}" if region else "any region"
        raise GarFormatError(
            f"{path}: no register files of {which} (folders like 72/ holding AS_ADDR_OBJ_*.XML, "
            "AS_HOUSES_*.XML and AS_MUN_HIERARCHY_*.XML)"
        )
    return found


class _Reader:
    """The file as lxml reads it: counts the bytes for the progress bar, and refuses a DTD
    before the parser sees it (libxml2 would otherwise parse the declarations, and may
    expand entities inside attribute values, before the first record reaches us)."""

    def __init__(self, raw: IO[bytes], name: str, advance: Callable[[int], None]) -> None:
        self._raw = raw
        self._name = name
        self._advance = advance
        self._prolog: bytes | None = b""
        """What was read before the root element (None once it has begun)."""

    def read(self, size: int = -1) -> bytes:
        data = self._raw.read(size)
        self._advance(len(data))
        if self._prolog is not None:
            self._check_prolog(data)
        return data

    def _check_prolog(self, data: bytes) -> None:
        assert self._prolog is not None
        seen = self._prolog + data
        root = _ROOT_START.search(seen)
        head = seen if root is None else seen[: root.start()]
        if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
            raise GarFormatError(
                f"{self._name}: declares a DTD (<!DOCTYPE …>), which register files never do; "
                "refused as a possible XML bomb"
            )
        # Keep only a tail long enough to hold a declaration split between two reads.
        self._prolog = None if root is not None else seen[-16:]


def _tag(element: etree._Element) -> str:
    tag = element.tag
    return tag.decode() if isinstance(tag, bytes) else str(tag)


def _in_force(element: etree._Element, today: str, *flags: str) -> bool:
    for flag in flags:
        if element.get(flag, "1").lower() not in _TRUE:
            return False
    start = element.get("STARTDATE") or "0000-00-00"
    end = element.get("ENDDATE") or "9999-12-31"
    return start <= today < end


def _records(file: GarFile, advance: Callable[[int], None]) -> Iterator[tuple[etree._Element, int]]:
    """Each record element of ``file`` (cleared after use) with its line number."""
    kind = _KINDS[file.kind]
    checked = False
    try:
        with file.open() as raw:
            events = etree.iterparse(
                _Reader(raw, file.name, advance),
                events=("end",),
                resolve_entities=False,
                load_dtd=False,
                no_network=True,
                huge_tree=False,
                remove_comments=True,
                remove_pis=True,
            )
            for _, element in events:
                if not checked:
                    root = element.getroottree()
                    if _tag(root.getroot()) != kind.root:
                        raise GarFormatError(
                            f"{file.name}: the root element is <{_tag(root.getroot())}>, not "
                            f"<{kind.root}>; is this file from the register export?"
                        )
                    checked = True
                if element.getparent() is None:
                    continue  # the root's own end
                if _tag(element) != kind.record:
                    raise GarFormatError(
                        f"{file.name}, line {element.sourceline}: unexpected <{_tag(element)}> "
                        f"in <{kind.root}>"
                    )
                yield element, element.sourceline or 0
                element.clear()
                # Drop the records already read, or the root would keep every one of them.
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        raise GarFormatError(
            f"{file.name}: not well-formed XML ({exc.msg}, line {exc.lineno}); a truncated or "
            "damaged file: download the export again"
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise GarFormatError(
            f"{file.name}: the archive is damaged ({exc}); download the export again"
        ) from None


def _objectid(element: etree._Element, file: GarFile, line: int, name: str = "OBJECTID") -> int:
    raw = element.get(name)
    if raw is None or not raw.isdigit():
        raise GarFormatError(f"{file.name}, line {line}: {name} missing or not a number")
    return int(raw)


def read_hierarchy(
    file: GarFile, today: str, advance: Callable[[int], None]
) -> Iterator[list[HierarchyItem]]:
    """The items in force of an AS_MUN_HIERARCHY file, in batches; an OKTMO that is not 8 or
    11 digits is read as absent (the nearest ancestor's then applies)."""
    batch: list[HierarchyItem] = []
    for element, line in _records(file, advance):
        if not _in_force(element, today, "ISACTIVE"):
            continue
        parent_raw = element.get("PARENTOBJID")
        parent = _objectid(element, file, line, "PARENTOBJID") if parent_raw else None
        oktmo = element.get("OKTMO")
        batch.append(
            HierarchyItem(
                _objectid(element, file, line),
                parent or None,
                oktmo if oktmo and _OKTMO.match(oktmo) else None,
            )
        )
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def read_objects(
    file: GarFile, today: str, advance: Callable[[int], None]
) -> Iterator[list[RegisterObject]]:
    """The objects in force of an address object, house, stead or apartment file."""
    kind = _KINDS[file.kind]
    batch: list[RegisterObject] = []
    for element, line in _records(file, advance):
        if not _in_force(element, today, "ISACTUAL", "ISACTIVE"):
            continue
        guid = (element.get("OBJECTGUID") or "").lower()
        if not _GUID.match(guid):
            raise GarFormatError(f"{file.name}, line {line}: OBJECTGUID missing or not a GUID")
        if kind.level is None:
            level = element.get("LEVEL", "")
            if not level.isdigit():
                raise GarFormatError(f"{file.name}, line {line}: LEVEL missing or not a number")
            name = f"{element.get('TYPENAME', '')} {element.get('NAME', '')}".strip()
            batch.append(RegisterObject(_objectid(element, file, line), guid, int(level), name))
        else:
            batch.append(RegisterObject(_objectid(element, file, line), guid, kind.level, None))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch
