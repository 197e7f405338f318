"""Sign-in's address resolution without an imported register: the development table maps its
municipalities, anything else is refused with a reason and counted."""

from __future__ import annotations

import pytest

from shared.identity.fias_oktmo import FiasEntry, FiasTable, load_fias_table
from shared.identity.provider import IdentityRefusedError
from shared.identity.territory import AddressResolver
from shared.metrics import UNKNOWN_ADDRESS_CODES

TYUMEN = "9ae64229-9f7b-4149-b27a-d1f6ec74b5ce"
TOBOLSK = "6d7c3e9e-8d6d-490a-a650-8257dbf5ec36"
MOSCOW = "0c5b2444-70a0-4932-980c-b4dc0d3f02b5"


def _unknown_count() -> float:
    value = UNKNOWN_ADDRESS_CODES.labels("identity")._value.get()
    return float(value)


@pytest.mark.parametrize(("fias", "oktmo"), [(TYUMEN, "71701000"), (TOBOLSK, "71710000")])
async def test_reference_table_maps_fixture_municipalities(fias: str, oktmo: str) -> None:
    address = await AddressResolver().registration_address(fias)
    assert address.oktmo == oktmo
    assert address.region == "72"
    assert address.fias_code == fias


async def test_lookup_ignores_case_and_surrounding_space() -> None:
    address = await AddressResolver().registration_address(f"  {TYUMEN.upper()} ")
    assert address.oktmo == "71701000"


@pytest.mark.parametrize("code", [MOSCOW, "not-a-fias-code"])
async def test_unknown_code_is_refused_as_outside_the_territory_and_counted(code: str) -> None:
    before = _unknown_count()
    with pytest.raises(IdentityRefusedError) as caught:
        await AddressResolver().registration_address(code)
    assert caught.value.slug == "territory-not-served"
    assert code not in caught.value.detail
    assert _unknown_count() == before + 1


@pytest.mark.parametrize("missing", [None, "", "  "])
async def test_missing_registration_address_is_refused(missing: str | None) -> None:
    before = _unknown_count()
    with pytest.raises(IdentityRefusedError) as caught:
        await AddressResolver().registration_address(missing)
    assert caught.value.slug == "no-registration-address"
    assert _unknown_count() == before


def test_reference_file_loads_with_oktmo_codes_of_one_region() -> None:
    table = load_fias_table()
    assert len(table) >= 2
    assert table.lookup(TYUMEN) is not None


def test_duplicate_fias_codes_are_rejected() -> None:
    entry = FiasEntry(fias=TYUMEN, oktmo="71701000", region="72", name="x")
    with pytest.raises(ValueError, match="duplicate"):
        FiasTable((entry, entry))
