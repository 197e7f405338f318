"""The development FIAS → OKTMO table: a few municipalities without any import.

ESIA gives a registration address as a FIAS code, eligibility speaks OKTMO. In production the
codes resolve through the address register imported into the identity database
(``vmeste territory import``, see :mod:`shared.identity.territory`); this small file
(``fias_oktmo.json``) is what sign-in falls back to, so the development fixtures and the tests
keep working without an import.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import msgspec

__all__ = ("FiasEntry", "FiasTable", "load_fias_table")

_DATA = Path(__file__).with_name("fias_oktmo.json")
_GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class FiasEntry(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    fias: str
    """FIAS GUID of an address object (lower case)."""
    oktmo: str
    """OKTMO code of the municipality the object belongs to."""
    region: str
    """Federal subject code (72 = Tyumen region)."""
    name: str
    """Municipality name, for people reading the file; never copied into a session."""


class _File(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    about: str
    version: int
    entries: tuple[FiasEntry, ...]


class FiasTable:
    """Lookup by FIAS GUID, case-insensitive."""

    def __init__(self, entries: tuple[FiasEntry, ...]) -> None:
        self._by_fias = {e.fias.lower(): e for e in entries}
        if len(self._by_fias) != len(entries):
            raise ValueError("duplicate FIAS code in the reference table")

    def lookup(self, fias_code: str) -> FiasEntry | None:
        return self._by_fias.get(fias_code.strip().lower())

    def __len__(self) -> int:
        return len(self._by_fias)


@cache
def load_fias_table(path: Path = _DATA) -> FiasTable:
    data = msgspec.json.decode(path.read_bytes(), type=_File)
    for entry in data.entries:
        if not _GUID.match(entry.fias):
            raise ValueError(f"{path}: {entry.fias!r} is not a lower-case FIAS GUID")
    return FiasTable(data.entries)
