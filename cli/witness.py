"""``vmeste witness``: run a witness that cosigns the checkpoints of the logs it follows;
``vmeste witness key``: print its verifier key (creating the key on first use).

The witness is its own small service (services.witness) with its own key and database, so
that someone other than the platform's operator can run it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import typer

from ops.localproc import granian_command, port_free, stop_all, wait_listening
from services.witness.keys import KEY_FILE, load_witness_signer
from services.witness.settings import DEFAULT_NAME, WitnessSettings, load_witness_settings
from shared.config import WITNESS, MissingSettingError
from shared.db.migrate import migrate

__all__ = ("witness_app",)

DEFAULT_PORT = 8003

witness_app = typer.Typer(
    help="A witness: cosigns the checkpoints of the logs it follows (C2SP tlog-witness).",
    no_args_is_help=False,
)


def _settings(env: Mapping[str, str]) -> WitnessSettings:
    try:
        settings = load_witness_settings(env)
        signer = load_witness_signer(
            settings.keys_dir, settings.name, settings.signer_key, default_name=DEFAULT_NAME
        )
    except MissingSettingError as exc:
        typer.echo(f"vmeste witness: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(f"witness key  {signer.key}")
    return settings


@witness_app.callback(invoke_without_command=True)
def run(
    ctx: typer.Context,
    port: int = typer.Option(DEFAULT_PORT, help="Port to listen on."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    logs: Path | None = typer.Option(
        None,
        "--logs",
        help="JSON file of the logs to follow: "
        '[{"origin_prefix": "<host>/polls/", "keys": ["<log verifier key>"]}] '
        "(adds to VMESTE_WITNESS_LOGS).",
    ),
    data_dir: Path = typer.Option(
        Path(".vmeste-data"),
        envvar="VMESTE_DATA_DIR",
        help="Folder of the witness's SQLite database and keys.",
    ),
) -> None:
    """Run the witness under granian until Ctrl-C.

    Migrates its database, creates its key on first start, serves add-checkpoint and the
    monitors' views."""
    if ctx.invoked_subcommand is not None:
        return
    env = {**os.environ, "VMESTE_DATA_DIR": str(data_dir.resolve())}
    if logs is not None:
        env["VMESTE_WITNESS_LOGS_FILE"] = str(logs.resolve())
    if not port_free(host, port):
        typer.echo(f"vmeste witness: port {port} is taken: pass --port", err=True)
        raise typer.Exit(2)
    settings = _settings(env)
    migrate(WITNESS, settings.database_url)
    typer.echo(f"database     {settings.database_url.split('@')[-1]}: migrated")
    proc = subprocess.Popen(granian_command(WITNESS, host, port), env=env)  # noqa: S603
    stopping = False

    def on_signal(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = signal.signal(signal.SIGTERM, on_signal)
    try:
        try:
            wait_listening(port, proc, "the witness", 60)
        except (RuntimeError, TimeoutError) as exc:
            typer.echo(f"vmeste witness: {exc}", err=True)
            raise typer.Exit(1) from None
        for log in settings.logs:
            typer.echo(f"follows      {log.origin_prefix}… ({len(log.keys)} key(s))")
        typer.echo(f"witness      http://{host}:{port}/add-checkpoint   (API docs: /schema)")
        typer.echo("Press Ctrl-C to stop.")
        while not stopping:
            if proc.poll() is not None:
                typer.echo("the witness stopped unexpectedly", err=True)
                raise typer.Exit(1)
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        stop_all([proc])


@witness_app.command("key")
def key(
    keys_dir: Path | None = typer.Option(
        None, envvar="VMESTE_KEYS_DIR", help="Key folder (default: <data folder>/keys)."
    ),
    name: str | None = typer.Option(
        None, envvar="VMESTE_WITNESS_NAME", help="Name for a new key (C2SP: e.g. a URL)."
    ),
    data_dir: Path = typer.Option(Path(".vmeste-data"), envvar="VMESTE_DATA_DIR"),
) -> None:
    """Print the witness's verifier key, creating the key on first use (never replacing it).

    Give it to the logs, auditors and browsers that should count this witness."""
    folder = (keys_dir or data_dir / "keys").resolve()
    given = os.environ.get("VMESTE_WITNESS_KEY") or None
    try:
        signer = load_witness_signer(folder, name, given, default_name=DEFAULT_NAME)
    except MissingSettingError as exc:
        typer.echo(f"vmeste witness key: {exc}", err=True)
        raise typer.Exit(2) from None
    typer.echo(str(signer.key))
    where = "VMESTE_WITNESS_KEY" if given else folder / KEY_FILE
    typer.echo(f"key in {where}", err=True)
