"""The territory reference: which municipality an address of the register (ГАР) is in.

- :mod:`.gar` streams the Federal Tax Service's XML export;
- :mod:`.importer` loads one region into the identity database, atomically
  (``vmeste territory import``);
- :mod:`.store` answers lookups: a FIAS code's OKTMO, municipalities' names, refused codes;
- :mod:`.resolver` is what sign-in asks, with the development table as its fallback.
"""

from shared.identity.territory.gar import GarFormatError, RegionExtract, find_regions
from shared.identity.territory.importer import ImportProgress, ImportReport, import_region
from shared.identity.territory.resolver import AddressResolver
from shared.identity.territory.store import (
    MunicipalityRecord,
    Placement,
    RefusedCode,
    RegionImport,
    TerritoryStore,
)

__all__ = (
    "AddressResolver",
    "GarFormatError",
    "ImportProgress",
    "ImportReport",
    "MunicipalityRecord",
    "Placement",
    "RefusedCode",
    "RegionExtract",
    "RegionImport",
    "TerritoryStore",
    "find_regions",
    "import_region",
)
