"""The registry of organisations and memberships: the one source of truth for roles.

Roles never come from the identity provider: Gosuslugi says who someone is, this registry
says what they may do here. Roles and officials' permissions are copied into each session
token when it is issued, so a grant or a revocation takes effect at the holder's next sign-in
or session refresh: at most one session lifetime later. Every change is recorded in the audit
trail (:mod:`shared.identity.trail`) in the transaction that makes it, naming its ``actor``.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import weakref
from collections.abc import Callable, Iterable
from typing import Any

import msgspec
from piccolo.engine.base import Engine

from shared.identity.claims import OrganisationGrant, Permission, Role
from shared.identity.origins import OriginError, parse_origin
from shared.identity.tables import Membership, Organisation
from shared.identity.trail import SEED_ACTOR, record_change
from shared.recent_reads import RecentReads

__all__ = (
    "MAX_NAME_LENGTH",
    "MAX_ORIGINS",
    "MAX_TERRITORY",
    "MembershipRecord",
    "OrganisationRecord",
    "RegistryError",
    "RoleSet",
    "check_grant",
    "create_organisation",
    "get_membership",
    "get_organisation",
    "grant",
    "list_memberships",
    "list_organisations",
    "organisation_id",
    "recent_organisation",
    "revoke",
    "revoke_membership",
    "roles_for",
    "update_organisation",
    "upsert_organisation",
)

_OKTMO = re.compile(r"\A[0-9]{8}([0-9]{3})?\Z")
_SLUG = re.compile(r"\A[a-z0-9][a-z0-9-]{1,62}\Z")
_SUB = re.compile(r"\A[0-9a-f]{64}\Z")
MAX_NAME_LENGTH = 300
MAX_TERRITORY = 200
"""OKTMO codes of one organisation: a region's municipalities fit."""
MAX_ORIGINS = 50
"""Official sites of one organisation allowed to embed its widgets."""


class RegistryError(ValueError):
    """A grant or organisation that the registry refuses, with what to fix.

    ``code`` is stable (pages show their own message for it); ``subject`` is the refused
    value the message is about, if any."""

    def __init__(self, message: str, *, code: str, subject: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.subject = subject


class OrganisationRecord(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    territory: tuple[str, ...]
    embed_origins: tuple[str, ...]


class MembershipRecord(msgspec.Struct, frozen=True, kw_only=True):
    id: int
    sub: str
    role: str
    organisation: str | None
    permissions: tuple[str, ...]
    granted_at: dt.datetime


class RoleSet(msgspec.Struct, frozen=True, kw_only=True):
    """What goes into a session: role names and one grant per organisation membership."""

    roles: tuple[str, ...]
    orgs: tuple[OrganisationGrant, ...]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _origins(given: Iterable[str]) -> tuple[str, ...]:
    origins = []
    for text in given:
        try:
            origins.append(parse_origin(text))
        except OriginError as exc:
            raise RegistryError(
                f"embed origin {text!r}: {exc}", code="bad-origin", subject=text
            ) from None
    unique = tuple(dict.fromkeys(origins))
    if len(unique) > MAX_ORIGINS:
        raise RegistryError(f"give at most {MAX_ORIGINS} embed origins", code="too-many-origins")
    return unique


def _key(sub: str, organisation: str | None, role: str) -> str:
    return f"{sub}|{organisation or '*'}|{role}"


def _checked_organisation(
    slug: str, name: str, territory: Iterable[str], embed_origins: Iterable[str]
) -> OrganisationRecord:
    codes = tuple(dict.fromkeys(territory))
    if not _SLUG.match(slug):
        raise RegistryError(
            f"organisation slug {slug!r}: use lower-case letters, digits and -",
            code="bad-slug",
            subject=slug,
        )
    name = name.strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise RegistryError(
            f"organisation name: give the official name, at most {MAX_NAME_LENGTH} characters",
            code="bad-name",
        )
    if not codes or len(codes) > MAX_TERRITORY or not all(_OKTMO.match(c) for c in codes):
        raise RegistryError(
            f"territory {codes!r}: give one to {MAX_TERRITORY} 8- or 11-digit OKTMO codes",
            code="bad-territory",
        )
    return OrganisationRecord(
        slug=slug, name=name, territory=codes, embed_origins=_origins(embed_origins)
    )


def _organisation(row: dict[str, Any]) -> OrganisationRecord:
    return OrganisationRecord(
        slug=row["slug"],
        name=row["name"],
        territory=tuple(row["territory"]),
        embed_origins=tuple(row["embed_origins"]),
    )


async def get_organisation(slug: str) -> OrganisationRecord | None:
    row = await Organisation.select().where(Organisation.slug == slug).first()
    return None if row is None else _organisation(row)


RECENT_S = 1.0
"""How old an organisation read for a widget page may be: a change made on another replica
(or by the command line) reaches this one's widgets within this time."""

# One set of copies per database the registry's tables are bound to (they are bound process
# wide, and a test process binds them anew for each app), so no copy outlives its database.
_recent: weakref.WeakKeyDictionary[Engine[Any], RecentReads[OrganisationRecord]] = (
    weakref.WeakKeyDictionary()
)
_clock: Callable[[], float] = time.monotonic


async def recent_organisation(slug: str) -> OrganisationRecord | None:
    """The organisation as read at most :data:`RECENT_S` ago, for the widget pages every
    visitor of an official site loads; never for deciding a change. This process's own
    changes show at once."""
    engine = Organisation._meta.db
    reads = _recent.get(engine)
    if reads is None:
        reads = _recent[engine] = RecentReads(get_organisation, RECENT_S, lambda: _clock())
    return await reads.get(slug)


def _forget_recent(slug: str) -> None:
    """Called once a change of the organisation is committed."""
    reads = _recent.get(Organisation._meta.db)
    if reads is not None:
        reads.forget(slug)


async def list_organisations() -> list[OrganisationRecord]:
    rows = await Organisation.select().order_by(Organisation.slug)
    return [_organisation(r) for r in rows]


async def upsert_organisation(
    slug: str,
    name: str,
    territory: Iterable[str],
    embed_origins: Iterable[str] = (),
    *,
    actor: str = SEED_ACTOR,
) -> OrganisationRecord:
    """Create the organisation or update its name, territory and allowed embedding sites."""
    record = _checked_organisation(slug, name, territory, embed_origins)
    async with Organisation._meta.db.transaction():
        before = await get_organisation(slug)
        row = Organisation(
            slug=slug,
            name=record.name,
            territory=list(record.territory),
            embed_origins=list(record.embed_origins),
            created_at=_now(),
        )
        await Organisation.insert(row).on_conflict(
            target=Organisation.slug,
            action="DO UPDATE",
            values=[Organisation.name, Organisation.territory, Organisation.embed_origins],
        )
        if before != record:
            action = "organisation.create" if before is None else "organisation.update"
            await record_change(actor, action, organisation=slug, before=before, after=record)
    _forget_recent(slug)
    return record


async def create_organisation(
    slug: str, name: str, territory: Iterable[str], embed_origins: Iterable[str] = (), *, actor: str
) -> OrganisationRecord:
    """Register a new organisation; RegistryError ``organisation-exists`` if the slug is taken."""
    record = _checked_organisation(slug, name, territory, embed_origins)
    async with Organisation._meta.db.transaction():
        made = await (
            Organisation.insert(
                Organisation(
                    slug=slug,
                    name=record.name,
                    territory=list(record.territory),
                    embed_origins=list(record.embed_origins),
                    created_at=_now(),
                )
            )
            .on_conflict(target=Organisation.slug, action="DO NOTHING")
            .returning(Organisation._meta.primary_key)
        )
        if not made:
            raise RegistryError(
                f"organisation {slug!r} exists already: edit it instead",
                code="organisation-exists",
                subject=slug,
            )
        await record_change(actor, "organisation.create", organisation=slug, after=record)
    _forget_recent(slug)
    return record


async def update_organisation(
    slug: str, name: str, territory: Iterable[str], embed_origins: Iterable[str] = (), *, actor: str
) -> OrganisationRecord | None:
    """Change an organisation's name, territory and embedding sites; None if there is none.
    Its officials' sessions carry the new territory from their next refresh."""
    record = _checked_organisation(slug, name, territory, embed_origins)
    async with Organisation._meta.db.transaction():
        before = await get_organisation(slug)
        if before is None:
            return None
        await Organisation.update(
            {
                Organisation.name: record.name,
                Organisation.territory: list(record.territory),
                Organisation.embed_origins: list(record.embed_origins),
            }
        ).where(Organisation.slug == slug)
        if before != record:
            await record_change(
                actor, "organisation.update", organisation=slug, before=before, after=record
            )
    _forget_recent(slug)
    return record


def check_grant(
    sub: str, role: str, organisation: str | None, permissions: tuple[str, ...]
) -> None:
    """RegistryError unless ``sub`` may be granted ``role`` with these permissions."""
    if not _SUB.match(sub):
        raise RegistryError("sub must be the 64-character hex pseudonym", code="bad-sub")
    known_roles = {Role.OFFICIAL, Role.AUDITOR, Role.ADMIN}
    if role not in known_roles:
        raise RegistryError(
            f"role {role!r}: choose official, auditor or admin", code="bad-role", subject=role
        )
    unknown = set(permissions) - set(Permission)
    if unknown:
        raise RegistryError(
            f"unknown permissions {sorted(unknown)}: choose from {list(Permission)}",
            code="bad-permissions",
        )
    if role == Role.OFFICIAL and (organisation is None or not permissions):
        raise RegistryError(
            "an official needs an organisation and at least one permission",
            code="official-needs-organisation",
        )
    if role != Role.OFFICIAL and (permissions or organisation is not None):
        raise RegistryError(
            "auditors and admins are platform-wide: they take no organisation and no permissions",
            code="platform-role",
        )


_MEMBERSHIP_COLUMNS = (
    Membership._meta.primary_key.as_alias("membership_id"),
    Membership.sub,
    Membership.role,
    Membership.organisation.slug.as_alias("org"),
    Membership.permissions,
    Membership.granted_at,
)


def _membership(row: dict[str, Any]) -> MembershipRecord:
    return MembershipRecord(
        id=int(row["membership_id"]),
        sub=row["sub"],
        role=row["role"],
        organisation=row["org"],
        permissions=tuple(row["permissions"]),
        granted_at=row["granted_at"],
    )


def _held(record: MembershipRecord | None) -> dict[str, Any] | None:
    """What the trail keeps of a membership: what it grants, not when."""
    if record is None:
        return None
    return {
        "role": record.role,
        "organisation": record.organisation,
        "permissions": list(record.permissions),
    }


async def _membership_where(condition: Any) -> MembershipRecord | None:
    row = await Membership.select(*_MEMBERSHIP_COLUMNS).where(condition).first()
    return None if row is None else _membership(row)


async def get_membership(membership_id: int) -> MembershipRecord | None:
    return await _membership_where(Membership._meta.primary_key == membership_id)


async def organisation_id(organisation: str | None) -> int | None:
    """The row id of the organisation named ``organisation`` (None for none); RegistryError
    if no such organisation is registered."""
    if organisation is None:
        return None
    found = (
        await Organisation.select(Organisation._meta.primary_key)
        .where(Organisation.slug == organisation)
        .first()
    )
    if found is None:
        raise RegistryError(
            f"no organisation {organisation!r}; register it first",
            code="no-organisation",
            subject=organisation,
        )
    return int(found["id"])


async def grant(
    sub: str,
    role: str,
    organisation: str | None = None,
    permissions: Iterable[str] = (),
    *,
    actor: str = SEED_ACTOR,
) -> MembershipRecord:
    """Grant ``role`` (replacing the permissions of an existing identical grant)."""
    perms = tuple(sorted(set(permissions)))
    check_grant(sub, role, organisation, perms)
    org_id = await organisation_id(organisation)
    key = _key(sub, organisation, role)
    async with Membership._meta.db.transaction():
        before = await _membership_where(Membership.key == key)
        row = Membership(
            key=key,
            sub=sub,
            organisation=org_id,
            role=role,
            permissions=list(perms),
            granted_at=_now(),
        )
        # One statement, so two concurrent grants (e.g. both services seeding) cannot collide.
        await Membership.insert(row).on_conflict(
            target=Membership.key,
            action="DO UPDATE",
            values=[Membership.permissions, Membership.granted_at],
        )
        after = await _membership_where(Membership.key == key)
        assert after is not None  # written just above, in this transaction
        if _held(before) != _held(after):
            await record_change(
                actor,
                "membership.grant",
                organisation=organisation,
                person=sub,
                before=_held(before),
                after=_held(after),
            )
    return after


async def _revoke_where(condition: Any, actor: str) -> MembershipRecord | None:
    async with Membership._meta.db.transaction():
        before = await _membership_where(condition)
        if before is None:
            return None
        deleted = (
            await Membership.delete()
            .where(Membership._meta.primary_key == before.id)
            .returning(Membership._meta.primary_key)
        )
        if not deleted:
            return None
        await record_change(
            actor,
            "membership.revoke",
            organisation=before.organisation,
            person=before.sub,
            before=_held(before),
        )
    return before


async def revoke(
    sub: str, role: str, organisation: str | None = None, *, actor: str = SEED_ACTOR
) -> bool:
    """Remove a grant; True if there was one."""
    return await _revoke_where(Membership.key == _key(sub, organisation, role), actor) is not None


async def revoke_membership(membership_id: int, *, actor: str) -> MembershipRecord | None:
    """Remove the membership ``membership_id``; what it granted, or None if there is none."""
    return await _revoke_where(Membership._meta.primary_key == membership_id, actor)


async def list_memberships(
    sub: str | None = None, organisation: str | None = None, *, platform: bool = False
) -> list[MembershipRecord]:
    """Memberships of ``sub`` and/or ``organisation``; ``platform``: only the platform-wide
    ones (auditors and admins)."""
    query = Membership.select(*_MEMBERSHIP_COLUMNS).order_by(
        Membership.sub, Membership.role, Membership._meta.primary_key
    )
    if sub is not None:
        query = query.where(Membership.sub == sub)
    if organisation is not None:
        query = query.where(Membership.organisation.slug == organisation)
    if platform:
        query = query.where(Membership.organisation.is_null())
    return [_membership(r) for r in await query]


async def roles_for(sub: str) -> RoleSet:
    """Everyone is a citizen; memberships add official, auditor and admin."""
    rows = await Membership.select(
        Membership.role,
        Membership.permissions,
        Membership.organisation.slug.as_alias("org"),
        Membership.organisation.territory.as_alias("territory"),
    ).where(Membership.sub == sub)
    roles = {Role.CITIZEN.value} | {str(r["role"]) for r in rows}
    grants = tuple(
        sorted(
            (
                OrganisationGrant(
                    org=r["org"],
                    role=r["role"],
                    territory=tuple(r["territory"]),
                    permissions=tuple(r["permissions"]),
                )
                for r in rows
                if r["org"] is not None
            ),
            key=lambda g: (g.org, g.role),
        )
    )
    order = [r.value for r in Role]
    return RoleSet(roles=tuple(sorted(roles, key=order.index)), orgs=grants)
