"""Address register import and sign-in resolution at the scale of a region.

Generates a region of ``--objects`` register objects in the ГАР XML format (municipal
districts, rural settlements, settlements, streets and houses, with historical records and
moved objects that must not count, and most streets and houses taking their OKTMO from an
ancestor), imports it into a fresh identity database with the code ``vmeste territory import``
runs, then resolves random codes of every level the way sign-in does.

Targets: the import within minutes on this machine (``--minutes``, 10 by default) with a peak
memory (RSS of the whole process) under 300 MB; resolution p99 ≤ 1 ms.

    uv run python -m bench.territory [--objects N] [--lookups N] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import random
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from shared.db.engine import bind_tables, create_engine, is_sqlite
from shared.db.migrate import migrate
from shared.identity.tables import TABLES
from shared.identity.territory import AddressResolver, TerritoryStore, find_regions, import_region

TARGET_PEAK_MB = 300.0
TARGET_P99_MS = 1.0
DISTRICTS = 25
SETTLEMENTS_PER_DISTRICT = 8
LOCALITIES_PER_SETTLEMENT = 4
STREETS_PER_LOCALITY = 25
_DATES = 'UPDATEDATE="2026-11-01" STARTDATE="2012-03-01" ENDDATE="2079-06-06"'


def guid(objectid: int) -> str:
    """A random-looking but reproducible OBJECTGUID per object."""
    h = hashlib.blake2b(objectid.to_bytes(8, "big"), digest_size=16).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


@dataclass
class _Writers:
    places: IO[str]
    houses: IO[str]
    items: IO[str]
    item_id: int = 0

    def place(self, objectid: int, typename: str, name: str, level: int) -> None:
        self.places.write(
            f'<OBJECT ID="{objectid}" OBJECTID="{objectid}" OBJECTGUID="{guid(objectid)}" '
            f'CHANGEID="{objectid}" NAME="{name}" TYPENAME="{typename}" LEVEL="{level}" '
            f'OPERTYPEID="1" PREVID="0" NEXTID="0" {_DATES} ISACTUAL="1" ISACTIVE="1" />\n'
        )

    def house(self, objectid: int, number: int, actual: str = "1") -> None:
        self.houses.write(
            f'<HOUSE ID="{objectid * 2 + (actual == "0")}" OBJECTID="{objectid}" '
            f'OBJECTGUID="{guid(objectid)}" CHANGEID="{objectid}" HOUSENUM="{number}" '
            f'HOUSETYPE="2" OPERTYPEID="10" PREVID="0" NEXTID="0" {_DATES} '
            f'ISACTUAL="{actual}" ISACTIVE="1" />\n'
        )

    def item(self, objectid: int, parent: int, oktmo: str | None, active: str = "1") -> None:
        self.item_id += 1
        code = f' OKTMO="{oktmo}"' if oktmo else ""
        self.items.write(
            f'<ITEM ID="{self.item_id}" OBJECTID="{objectid}" PARENTOBJID="{parent}" '
            f'CHANGEID="{objectid}"{code} PREVID="0" NEXTID="0" {_DATES} '
            f'ISACTIVE="{active}" PATH="{parent}.{objectid}" />\n'
        )


def generate(folder: Path, objects: int, seed: int = 7) -> list[tuple[int, int]]:
    """Writes region 72 into ``folder``; (objectid, level) of a sample of objects."""
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    stamp = "20261120_0b3f4a4e-1111-2222-3333-444455556666"
    streets: list[tuple[int, str]] = []
    sample: list[tuple[int, int]] = []
    with (
        (folder / f"AS_ADDR_OBJ_{stamp}.XML").open("w", encoding="utf-8") as places,
        (folder / f"AS_HOUSES_{stamp}.XML").open("w", encoding="utf-8") as houses,
        (folder / f"AS_MUN_HIERARCHY_{stamp}.XML").open("w", encoding="utf-8") as items,
    ):
        for f, root in ((places, "ADDRESSOBJECTS"), (houses, "HOUSES"), (items, "ITEMS")):
            f.write(f'<?xml version="1.0" encoding="utf-8"?>\n<{root}>\n')
        out = _Writers(places, houses, items)
        next_id = 1
        out.place(next_id, "обл", "Тюменская", 1)
        items.write(f'<ITEM ID="0" OBJECTID="1" CHANGEID="1" {_DATES} ISACTIVE="1" PATH="1" />\n')
        for d in range(DISTRICTS):
            next_id += 1
            district, d_code = next_id, f"716{d:02d}000"
            out.place(district, "м.р-н", f"Район {d}", 3)
            out.item(district, 1, d_code)
            sample.append((district, 3))
            for s in range(SETTLEMENTS_PER_DISTRICT):
                next_id += 1
                settlement, s_code = next_id, f"716{d:02d}4{s:02d}"
                out.place(settlement, "с.п.", f"Поселение {d}-{s}", 4)
                out.item(settlement, district, s_code)
                for loc in range(LOCALITIES_PER_SETTLEMENT):
                    next_id += 1
                    locality, l_code = next_id, f"{s_code}{loc + 101:03d}"
                    out.place(locality, "с", f"Село {d}-{s}-{loc}", 6)
                    out.item(locality, settlement, l_code)
                    sample.append((locality, 6))
                    for st in range(STREETS_PER_LOCALITY):
                        next_id += 1
                        out.place(next_id, "ул", f"Улица {st}", 8)
                        # Most streets carry no OKTMO of their own: the locality's applies.
                        out.item(next_id, locality, l_code if st % 5 == 0 else None)
                        streets.append((next_id, l_code))
        houses_left = objects - next_id
        for n in range(max(houses_left, 0)):
            street, l_code = streets[n % len(streets)]
            next_id += 1
            out.house(next_id, n // len(streets) + 1)
            out.item(next_id, street, l_code if n % 3 == 0 else None)
            if n % 20 == 0:
                out.house(next_id, n // len(streets) + 1, actual="0")  # a historical record
            if n % 50 == 0:
                out.item(next_id, 1, "71999000", active="0")  # an old placement
            if rng.random() < 0.01:
                sample.append((next_id, 10))
            if n % len(streets) == 0 and rng.random() < 0.05:
                sample.append((street, 8))
        places.write("</ADDRESSOBJECTS>\n")
        houses.write("</HOUSES>\n")
        items.write("</ITEMS>\n")
    return sample


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def run(url: str, folder: Path, objects: int, lookups: int, minutes: float) -> bool:
    t0 = time.perf_counter()
    sample = generate(folder / "72", objects)
    size_mb = sum(p.stat().st_size for p in (folder / "72").iterdir()) / 1e6
    print(
        f"region: {objects:,} objects generated in {time.perf_counter() - t0:.0f} s "
        f"({size_mb:.0f} MB of XML)"
    )
    peak_before = _peak_mb()
    (extract,) = find_regions(folder / "72")
    report = await import_region(url, extract)
    peak = _peak_mb()
    levels = ", ".join(f"level {k}: {v:,}" for k, v in sorted(report.by_level.items()))
    print(
        f"imported {report.objects:,} objects, {report.municipalities:,} municipalities ({levels})"
    )
    print(
        f"import time:            {report.seconds:7.1f} s    target <= {minutes * 60:.0f} s "
        f"({minutes:g} min)"
    )
    print(
        f"peak memory (RSS):      {peak:7.0f} MB   target <  {TARGET_PEAK_MB:.0f} MB "
        f"(before the import: {peak_before:.0f} MB)"
    )

    engine = create_engine(url)
    bind_tables(TABLES, engine)
    if not is_sqlite(engine):
        await engine.start_connection_pool(min_size=1, max_size=2)  # type: ignore[no-untyped-call,call-arg]
    store = TerritoryStore(engine)
    resolver = AddressResolver(store)
    rng = random.Random(11)
    codes = [guid(objectid) for objectid, _ in rng.choices(sample, k=lookups)]
    for code in codes[:200]:  # warm the connection and the page cache
        await resolver.registration_address(code)
    times = []
    for code in codes:
        start = time.perf_counter()
        await resolver.registration_address(code)
        times.append(time.perf_counter() - start)
    await store.close()
    if not is_sqlite(engine):
        await engine.close_connection_pool()  # type: ignore[no-untyped-call]
    times.sort()
    p50 = times[len(times) // 2] * 1000
    p99 = times[int(len(times) * 0.99)] * 1000
    print(
        f"resolution p99:         {p99:7.3f} ms   target <= {TARGET_P99_MS} ms "
        f"(p50 {p50:.3f} ms, {lookups:,} codes of cities, districts, streets and houses)"
    )
    met = report.seconds <= minutes * 60 and peak < TARGET_PEAK_MB and p99 <= TARGET_P99_MS
    print("targets met" if met else "TARGETS MISSED")
    return met


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.territory", description=__doc__)
    parser.add_argument("--objects", type=int, default=1_000_000, help="register objects")
    parser.add_argument("--lookups", type=int, default=20_000, help="codes resolved")
    parser.add_argument("--minutes", type=float, default=10.0, help="import time target")
    parser.add_argument("--postgres", action="store_true", help="use the harness PostgreSQL")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="vmeste-bench-") as tmp:
        folder = Path(tmp)
        if args.postgres:
            from tests.harness.processes import start_postgres

            postgres = start_postgres()
            try:
                postgres.sql("CREATE DATABASE bench_identity")
                url = postgres.url("bench_identity")
                migrate("identity", url)
                met = asyncio.run(run(url, folder, args.objects, args.lookups, args.minutes))
            finally:
                postgres.destroy()
        else:
            url = f"sqlite:///{folder / 'identity.sqlite'}"
            migrate("identity", url)
            met = asyncio.run(run(url, folder, args.objects, args.lookups, args.minutes))
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
