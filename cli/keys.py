"""``vmeste keys``: create (first run) or show the platform's keys; rotate them; export the
public session keys.

Development keeps keys in the data folder; production mounts them from Kubernetes Secrets and
uses ``vmeste keys`` once, on an operator's machine, to generate what goes into the Secrets.
Only the sign-in component (polls) gets the private session keys; the discussions service
gets what ``vmeste keys public`` writes.
"""

from __future__ import annotations

from pathlib import Path

import typer

from ops.keys import LOG_SERVICES, ensure_keys
from shared.config import MissingSettingError
from shared.identity.keys import export_public_keys, rotate_session_key
from shared.log.service import load_log_keys

__all__ = ("keys_app",)

keys_app = typer.Typer(help="Signing keys and the pseudonym pepper.", no_args_is_help=False)


def _keys_dir(keys_dir: Path | None) -> Path:
    return (keys_dir or Path(".vmeste-data") / "keys").resolve()


@keys_app.callback(invoke_without_command=True)
def show(
    ctx: typer.Context,
    keys_dir: Path | None = typer.Option(None, envvar="VMESTE_KEYS_DIR", help="Key folder."),
) -> None:
    """Create missing keys (never replacing one) and print the published verifier keys."""
    if ctx.invoked_subcommand is not None:
        return
    folder = _keys_dir(keys_dir)
    for key in ensure_keys(folder):
        typer.echo(key)
    typer.echo(f"keys in {folder}", err=True)


@keys_app.command("rotate")
def rotate(
    what: str = typer.Argument(..., help="session, log-polls or log-discussions"),
    keys_dir: Path | None = typer.Option(None, envvar="VMESTE_KEYS_DIR", help="Key folder."),
) -> None:
    """Make a new signing key active; old keys stay so earlier signatures still verify."""
    folder = _keys_dir(keys_dir)
    if what == "session":
        typer.echo(f"new session key {rotate_session_key(folder)}")
        return
    service = what.removeprefix("log-")
    if what.startswith("log-") and service in LOG_SERVICES:
        ring = load_log_keys(folder, service)
        signer = ring.rotate(folder=folder / what)
        typer.echo(f"new {what} key {signer.verifier}")
        return
    raise typer.BadParameter("choose session, log-polls or log-discussions")


@keys_app.command("public")
def public(
    out: Path = typer.Argument(..., help="Folder to write <kid>.pub files into."),
    keys_dir: Path | None = typer.Option(None, envvar="VMESTE_KEYS_DIR", help="Key folder."),
) -> None:
    """Write the public half of every session key, for a service that only verifies sessions.

    Run it again after ``vmeste keys rotate session`` and update that service's keys before
    the sign-in component signs with the new key."""
    try:
        written = export_public_keys(_keys_dir(keys_dir), out)
    except MissingSettingError as exc:
        raise typer.BadParameter(str(exc)) from None
    for path in written:
        typer.echo(path)
