"""``vmeste``: run the system locally, migrate databases, manage keys and roles, audit,
import the address register."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import typer

from cli.audit import audit_app
from cli.keys import keys_app
from cli.roles import roles_app
from cli.territory import territory_app
from cli.witness import witness_app
from ops.keys import ensure_keys
from ops.launcher import DevOptions, run_dev
from shared.config import COMPONENTS, SERVICES, database_url
from shared.db.migrate import migrate as migrate_component

__all__ = ("app",)

app = typer.Typer(
    help="Vmeste: municipal polls and comment periods with verifiable logs.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(audit_app, name="audit")
app.add_typer(keys_app, name="keys")
app.add_typer(roles_app, name="roles")
app.add_typer(territory_app, name="territory")
app.add_typer(witness_app, name="witness")


@app.command()
def migrate(
    component: list[str] = typer.Argument(
        None, help="identity, polls, discussions (default: these three), witness"
    ),
) -> None:
    """Apply database migrations (SQLite files in development, PostgreSQL by URL)."""
    for name in component or SERVICES:
        if name not in COMPONENTS:
            raise typer.BadParameter(f"unknown component {name!r}; choose from {COMPONENTS}")
        migrate_component(name, database_url(name))
        typer.echo(f"migrated {name}")


def _prepare(env: dict[str, str]) -> None:
    # Keys before the services start: several workers must not race to create them.
    os.environ.update(env)
    ensure_keys(Path(env["VMESTE_DATA_DIR"]) / "keys")
    typer.echo("keys: ready")
    for name in SERVICES:
        migrate_component(name, database_url(name))
        typer.echo(f"database {name}: migrated")


@app.command()
def dev(
    data_dir: Path = typer.Option(
        Path(".vmeste-data"),
        envvar="VMESTE_DATA_DIR",
        help="Folder for SQLite files, keys and Redis.",
    ),
    polls_port: int = typer.Option(8001, help="Port of the polls service."),
    discussions_port: int = typer.Option(8002, help="Port of the discussions service."),
    witness_port: int = typer.Option(8003, help="Port of the local witness."),
    workers: int = typer.Option(1, help="granian workers per service."),
) -> None:
    """Run everything locally: Redis, migrations, keys, a witness, both services. Ctrl-C
    stops."""
    options = DevOptions(
        data_dir=data_dir.resolve(),
        ports={"polls": polls_port, "discussions": discussions_port},
        workers=workers,
        witness_port=witness_port,
    )
    raise typer.Exit(run_dev(options, _prepare, typer.echo))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@app.command()
def cluster(
    data_dir: Path = typer.Option(Path(".vmeste-cluster"), help="Folder for keys, Redis, nginx."),
    polls: int = typer.Option(3, help="Replicas of the polls service."),
    discussions: int = typer.Option(2, help="Replicas of the discussions service."),
) -> None:
    """Run several replicas of each service behind nginx with one PostgreSQL and one Redis."""
    from ops.cluster import Cluster  # imported here: only this command needs nginx

    running = Cluster(data_dir.resolve(), replicas={"polls": polls, "discussions": discussions})
    try:
        running.start()
        for node in running.nodes:
            typer.echo(f"  {node.name:<16} http://127.0.0.1:{node.port}/")
        for service in ("polls", "discussions"):
            typer.echo(f"  {service} (nginx)  {running.url(service)}/")
        for witness in running.witnesses:
            typer.echo(f"  {witness.name:<16} http://127.0.0.1:{witness.port}/key")
        typer.echo("Press Ctrl-C to stop.")
        signal.signal(signal.SIGTERM, _interrupt)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        typer.echo("stopping…")
        running.stop()


@app.command()
def faults(
    fault: list[str] = typer.Option(
        None, "--fault", help="redis, postgres, replica, disk-full (default: all)."
    ),
    work_dir: Path | None = typer.Option(
        None, help="Scratch folder (default: a new temporary folder, removed afterwards)."
    ),
) -> None:
    """Inject faults while ballots and comments stream in; print what was refused, issued,
    found on the board, lost or counted twice, and the recovery time. Exits 1 unless clean."""
    import asyncio

    from ops.faults import FAULTS, format_table, remove_folder, run_faults, scratch_folder

    chosen = tuple(fault or FAULTS)
    unknown = [f for f in chosen if f not in FAULTS]
    if unknown:
        raise typer.BadParameter(f"unknown fault(s) {unknown}; choose from {FAULTS}")
    folder = scratch_folder(work_dir)
    try:
        rows = asyncio.run(run_faults(folder, chosen, say=typer.echo))
    finally:
        if work_dir is None:
            remove_folder(folder)
    typer.echo(format_table(rows))
    raise typer.Exit(0 if rows and all(row.clean for row in rows) else 1)


if __name__ == "__main__":
    app()
