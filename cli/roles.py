"""``vmeste roles``: grant, revoke and list roles in the registry of organisations.

People are named by their ESIA oid or by their pseudonymous sub; an oid is turned into the
sub with the platform pepper right here and is never stored or printed. Every change is
recorded in the registry's audit trail with ``cli`` as its actor (``vmeste roles trail``).
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import typer

from shared.config import database_url, load_settings
from shared.db.engine import bind_tables, create_engine
from shared.identity.pseudonym import load_pepper, pseudonym
from shared.identity.registry import (
    MembershipRecord,
    RegistryError,
    grant,
    list_memberships,
    revoke,
    upsert_organisation,
)
from shared.identity.tables import TABLES, Organisation
from shared.identity.territory import TerritoryStore
from shared.identity.trail import CLI_ACTOR, MAX_TRAIL_PAGE, list_changes

__all__ = ("roles_app",)

roles_app = typer.Typer(
    help="Grant, revoke and list roles (official, auditor, admin) and organisations.",
    no_args_is_help=True,
)

_SUB = re.compile(r"^[0-9a-f]{64}$")
T = TypeVar("T")


def _subject(who: str) -> str:
    if _SUB.match(who):
        return who
    # Settings need a Redis URL, which this command never uses.
    environ = {"VMESTE_REDIS_URL": "redis://unused", **os.environ}
    settings = load_settings(environ)
    pepper = load_pepper(settings.security.keys_dir, create=settings.is_dev, environ=environ)
    return pseudonym(pepper, who)


def _run(action: Callable[[], Coroutine[Any, Any, T]]) -> T:
    bind_tables(TABLES, create_engine(database_url("identity")))
    try:
        return asyncio.run(action())
    except RegistryError as exc:
        raise typer.BadParameter(str(exc)) from None


def _show(record: MembershipRecord) -> str:
    org = record.organisation or "(platform)"
    perms = ",".join(record.permissions) or "-"
    return f"{record.sub}  {record.role:<8}  {org:<20}  {perms}"


@roles_app.command("grant")
def grant_command(
    who: str = typer.Argument(..., help="ESIA oid or 64-hex sub."),
    role: str = typer.Option(..., "--role", help="official, auditor or admin."),
    organisation: str = typer.Option(None, "--org", help="Organisation slug (officials)."),
    permission: list[str] = typer.Option(
        None, "--permission", help="polls:manage, discussions:manage, moderate, respond."
    ),
) -> None:
    """Grant a role; granting again replaces an official's permissions."""
    sub = _subject(who)
    record = _run(lambda: grant(sub, role, organisation, permission or (), actor=CLI_ACTOR))
    typer.echo(f"granted  {_show(record)}")


@roles_app.command("revoke")
def revoke_command(
    who: str = typer.Argument(..., help="ESIA oid or 64-hex sub."),
    role: str = typer.Option(..., "--role", help="official, auditor or admin."),
    organisation: str = typer.Option(None, "--org", help="Organisation slug (officials)."),
) -> None:
    """Revoke a role; takes effect at the holder's next session refresh."""
    sub = _subject(who)
    if not _run(lambda: revoke(sub, role, organisation, actor=CLI_ACTOR)):
        typer.echo("no such grant", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked  {sub}  {role}  {organisation or '(platform)'}")


@roles_app.command("list")
def list_command(
    who: str = typer.Argument(None, help="ESIA oid or sub; everyone when omitted."),
    organisation: str = typer.Option(None, "--org", help="Only this organisation."),
) -> None:
    """List memberships."""
    sub = _subject(who) if who else None
    for record in _run(lambda: list_memberships(sub, organisation)):
        typer.echo(_show(record))


@roles_app.command("organisation")
def organisation_command(
    slug: str = typer.Argument(..., help="Short stable name, e.g. tyumen-city."),
    name: str = typer.Option(..., "--name", help="Official name."),
    territory: list[str] = typer.Option(..., "--territory", help="OKTMO code (repeat)."),
    embed_origin: list[str] = typer.Option(
        None,
        "--embed-origin",
        help="Official site allowed to embed widgets, as https://host[:port] (repeat).",
    ),
) -> None:
    """Register an organisation or update it; its territory is named from the imported
    address register (vmeste territory import)."""
    record = _run(
        lambda: upsert_organisation(slug, name, territory, embed_origin or (), actor=CLI_ACTOR)
    )
    named = _run(lambda: TerritoryStore(Organisation._meta.db).municipalities(record.territory))
    typer.echo(f"organisation  {record.slug}  {','.join(record.territory)}")
    for code in record.territory:
        found = named.get(code)
        typer.echo(f"  {code}  {found.name if found else '(not named by the imported register)'}")


@roles_app.command("trail")
def trail_command(
    limit: int = typer.Option(20, "--limit", min=1, max=MAX_TRAIL_PAGE, help="How many."),
    before: int = typer.Option(None, "--before", help="Only changes older than this one."),
) -> None:
    """Show the latest changes of the registry, newest first (who, what, when, before/after)."""
    page = _run(lambda: list_changes(before, limit))
    for change in page.changes:
        about = " ".join(x for x in (change.organisation, change.person) if x)
        typer.echo(
            f"{change.id}  {change.at.isoformat()}  {change.actor}  {change.action}  {about}"
        )
        typer.echo(f"    before: {change.before}  after: {change.after}")
    if page.next_before is not None:
        typer.echo(f"older: --before {page.next_before}")
