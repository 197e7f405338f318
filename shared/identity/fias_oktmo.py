"""FIAS → OKTMO: ESIA gives a registration address as a FIAS code, eligibility speaks OKTMO.

The mapping is reference data (``fias_oktmo.json``), loaded once. An address whose FIAS code
is not in the table is refused with a clear reason rather than guessed: a wrong municipality
would silently let someone vote in another town's poll.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import msgspec

from shared.identity.person import RegistrationAddress
from shared.identity.provider import IdentityRefusedError

__all__ = ("FiasEntry", "FiasTable", "load_fias_table", "registration_address")

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


def registration_address(
    fias_code: str | None, table: FiasTable | None = None
) -> RegistrationAddress:
    """The registration address for ``fias_code``, or IdentityRefusedError naming what to do."""
    if not fias_code:
        raise IdentityRefusedError(
            "no-registration-address",
            "No registration address",
            "Your Gosuslugi profile has no registration address (место регистрации). Add it "
            "on gosuslugi.ru and sign in again.",
        )
    entry = (table or load_fias_table()).lookup(fias_code)
    if entry is None:
        raise IdentityRefusedError(
            "territory-not-served",
            "Registration address outside the served territory",
            "Your registration address is not in a municipality this platform serves yet, "
            "so there are no polls or discussions you could take part in.",
        )
    return RegistrationAddress(region=entry.region, oktmo=entry.oktmo, fias_code=entry.fias)
