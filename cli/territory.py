"""``vmeste territory``: import the address register (ГАР), see what serves, see refused codes.

``import`` reads the Federal Tax Service's XML export — ``gar_xml.zip`` itself, its unpacked
folder, or one region's folder such as ``72/`` — streaming, and replaces each region's data
in the identity database atomically: the old data serves until the new is complete, and a
damaged export changes nothing. Exit status: 0 imported; 2 refused (damaged or incomplete
export, no such region, no database).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import NoReturn, TypeVar

import asyncpg
import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TaskID,
    TaskProgressColumn,
    TimeElapsedColumn,
)

from shared.config import database_url
from shared.db.engine import bind_tables, create_engine
from shared.identity.tables import TABLES
from shared.identity.territory import (
    GarFormatError,
    ImportReport,
    TerritoryStore,
    find_regions,
    import_region,
)
from shared.identity.territory.http import MAX_REFUSED_DAYS

__all__ = ("territory_app",)

territory_app = typer.Typer(
    help="The address register (ГАР): import a region, list what serves and what was refused.",
    no_args_is_help=True,
)
_console = Console(soft_wrap=True)
_err = Console(stderr=True, soft_wrap=True)
T = TypeVar("T")

_LEVELS = {
    1: "regions",
    2: "administrative districts",
    3: "municipal districts and okrugs",
    4: "rural and urban settlements",
    5: "cities",
    6: "settlements",
    7: "planning structures",
    8: "streets",
    9: "steads",
    10: "houses",
    11: "apartments",
}


def _refuse(message: str) -> NoReturn:
    _err.print(f"[red]{escape(message)}[/red]", soft_wrap=True, highlight=False)
    raise typer.Exit(2)


class _Bar:
    """The import's phases on one rich progress display: bytes read, then rows written."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._task: TaskID | None = None

    def phase(self, description: str, total: int) -> None:
        if self._task is not None:
            self._progress.update(self._task, visible=False)
        self._task = self._progress.add_task(description, total=total or None)

    def advance(self, amount: int) -> None:
        if self._task is not None:
            self._progress.advance(self._task, amount)


def _report(report: ImportReport) -> None:
    _console.print(
        f"region {report.region}: {report.objects:,} objects resolve to "
        f"{report.municipalities:,} municipalities, in {report.seconds:.0f} s "
        f"(from {escape(report.source)})"
    )
    for level, count in sorted(report.by_level.items()):
        _console.print(f"  {count:>12,}  {_LEVELS.get(level, f'level {level}')}")
    if report.without_municipality:
        _console.print(
            f"  {report.without_municipality:>12,}  in force but without an OKTMO code in the "
            "municipal hierarchy (not importable)"
        )


@territory_app.command("import")
def import_command(
    path: Path = typer.Argument(
        ..., help="gar_xml.zip, its unpacked folder, or one region's folder (e.g. …/72)."
    ),
    region: str = typer.Option(
        None, "--region", help="Two-digit region code, e.g. 72; default: every region in PATH."
    ),
) -> None:
    """Import regions of the address register: FIAS codes of cities, settlements, streets,
    houses, steads and apartments → OKTMO and municipality names."""
    url = database_url("identity")
    try:
        extracts = find_regions(path, region)
    except GarFormatError as exc:
        _refuse(str(exc))
    for extract in extracts:
        with Progress(
            SpinnerColumn(),
            "[progress.description]{task.description}",
            BarColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=_console,
            transient=True,
        ) as progress:
            try:
                report = asyncio.run(import_region(url, extract, progress=_Bar(progress)))
            except GarFormatError as exc:
                _refuse(f"{exc}\nregion {extract.region}: nothing changed, the old data serves")
            except FileNotFoundError as exc:
                _refuse(str(exc))
            except (sqlite3.Error, asyncpg.PostgresError, OSError) as exc:
                _refuse(f"identity database: {exc}; is it migrated (vmeste migrate identity)?")
        _report(report)


def _with_store(action: Callable[[TerritoryStore], Awaitable[T]]) -> T:
    engine = create_engine(database_url("identity"))
    bind_tables(TABLES, engine)

    async def run() -> T:
        store = TerritoryStore(engine)
        try:
            return await action(store)
        finally:
            await store.close()

    return asyncio.run(run())


@territory_app.command("status")
def status_command() -> None:
    """The imported regions: when, from where, how many objects and municipalities."""
    regions = _with_store(lambda store: store.regions())
    if not regions:
        _console.print("no region imported: sign-in resolves the development table only")
    for r in regions:
        state = "serving" if r.serving else "not yet serving"
        if r.importing:
            state += ", an import is writing (or crashed; the next import cleans up)"
        _console.print(
            f"region {r.region}: {state}; {r.objects:,} objects, {r.municipalities:,} "
            f"municipalities, imported {r.imported_at:%Y-%m-%d %H:%M} UTC from {escape(r.source)}"
        )


@territory_app.command("refused")
def refused_command(
    days: int = typer.Option(14, min=1, max=MAX_REFUSED_DAYS, help="How many days back."),
) -> None:
    """Registration address codes sign-in refused, per day (the register may be stale)."""
    since = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=days - 1)
    codes = _with_store(lambda store: store.refused_codes(since))
    if not codes:
        _console.print(f"no refused codes since {since}")
    for code in codes:
        _console.print(f"{code.day}  {code.refusals:>6}  {code.code}")
