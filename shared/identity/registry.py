"""The registry of organisations and memberships: the one source of truth for roles.

Roles never come from the identity provider: Gosuslugi says who someone is, this registry
says what they may do here. Officials' permissions are copied into each session token, so a
change takes effect at the holder's next refresh (at most one session lifetime later).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import msgspec

from shared.identity.origins import OriginError, parse_origin
from shared.identity.session import OrganisationGrant, Permission, Role
from shared.identity.tables import Membership, Organisation

__all__ = (
    "MembershipRecord",
    "OrganisationRecord",
    "RegistryError",
    "RoleSet",
    "get_organisation",
    "grant",
    "list_memberships",
    "list_organisations",
    "revoke",
    "roles_for",
    "upsert_organisation",
)

_OKTMO = re.compile(r"\A[0-9]{8}([0-9]{3})?\Z")
_SLUG = re.compile(r"\A[a-z0-9][a-z0-9-]{1,62}\Z")
_SUB = re.compile(r"\A[0-9a-f]{64}\Z")


class RegistryError(ValueError):
    """A grant or organisation that the registry refuses, with what to fix."""


class OrganisationRecord(msgspec.Struct, frozen=True, kw_only=True):
    slug: str
    name: str
    territory: tuple[str, ...]
    embed_origins: tuple[str, ...]


class MembershipRecord(msgspec.Struct, frozen=True, kw_only=True):
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
            raise RegistryError(f"embed origin {text!r}: {exc}") from None
    return tuple(dict.fromkeys(origins))


def _key(sub: str, organisation: str | None, role: str) -> str:
    return f"{sub}|{organisation or '*'}|{role}"


async def upsert_organisation(
    slug: str, name: str, territory: Iterable[str], embed_origins: Iterable[str] = ()
) -> OrganisationRecord:
    """Create the organisation or update its name, territory and allowed embedding sites."""
    codes = tuple(territory)
    if not _SLUG.match(slug):
        raise RegistryError(f"organisation slug {slug!r}: use lower-case letters, digits and -")
    if not codes or not all(_OKTMO.match(c) for c in codes):
        raise RegistryError(f"territory {codes!r}: give one or more 8- or 11-digit OKTMO codes")
    origins = _origins(embed_origins)
    row = Organisation(
        slug=slug, name=name, territory=list(codes), embed_origins=list(origins), created_at=_now()
    )
    await Organisation.insert(row).on_conflict(
        target=Organisation.slug,
        action="DO UPDATE",
        values=[Organisation.name, Organisation.territory, Organisation.embed_origins],
    )
    return OrganisationRecord(slug=slug, name=name, territory=codes, embed_origins=origins)


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


async def list_organisations() -> list[OrganisationRecord]:
    rows = await Organisation.select().order_by(Organisation.slug)
    return [_organisation(r) for r in rows]


def _check_grant(
    sub: str, role: str, organisation: str | None, permissions: tuple[str, ...]
) -> None:
    if not _SUB.match(sub):
        raise RegistryError("sub must be the 64-character hex pseudonym")
    known_roles = {Role.OFFICIAL, Role.AUDITOR, Role.ADMIN}
    if role not in known_roles:
        raise RegistryError(f"role {role!r}: choose official, auditor or admin")
    unknown = set(permissions) - set(Permission)
    if unknown:
        raise RegistryError(
            f"unknown permissions {sorted(unknown)}: choose from {list(Permission)}"
        )
    if role == Role.OFFICIAL and (organisation is None or not permissions):
        raise RegistryError("an official needs an organisation and at least one permission")
    if role != Role.OFFICIAL and permissions:
        raise RegistryError("permissions belong to officials; auditors and admins take none")


async def grant(
    sub: str,
    role: str,
    organisation: str | None = None,
    permissions: Iterable[str] = (),
) -> MembershipRecord:
    """Grant ``role`` (replacing the permissions of an existing identical grant)."""
    perms = tuple(sorted(set(permissions)))
    _check_grant(sub, role, organisation, perms)
    org_id: int | None = None
    if organisation is not None:
        found = (
            await Organisation.select(Organisation._meta.primary_key)
            .where(Organisation.slug == organisation)
            .first()
        )
        if found is None:
            raise RegistryError(f"no organisation {organisation!r}; register it first")
        org_id = int(found["id"])
    now = _now()
    row = Membership(
        key=_key(sub, organisation, role),
        sub=sub,
        organisation=org_id,
        role=role,
        permissions=list(perms),
        granted_at=now,
    )
    # One statement, so two concurrent grants (e.g. both services seeding) cannot collide.
    await Membership.insert(row).on_conflict(
        target=Membership.key,
        action="DO UPDATE",
        values=[Membership.permissions, Membership.granted_at],
    )
    return MembershipRecord(
        sub=sub, role=role, organisation=organisation, permissions=perms, granted_at=now
    )


async def revoke(sub: str, role: str, organisation: str | None = None) -> bool:
    """Remove a grant; True if there was one."""
    deleted = (
        await Membership.delete()
        .where(Membership.key == _key(sub, organisation, role))
        .returning(Membership._meta.primary_key)
    )
    return bool(deleted)


async def list_memberships(
    sub: str | None = None, organisation: str | None = None
) -> list[MembershipRecord]:
    query = Membership.select(
        Membership.sub,
        Membership.role,
        Membership.organisation.slug.as_alias("org"),
        Membership.permissions,
        Membership.granted_at,
    ).order_by(Membership.sub)
    if sub is not None:
        query = query.where(Membership.sub == sub)
    if organisation is not None:
        query = query.where(Membership.organisation.slug == organisation)
    return [
        MembershipRecord(
            sub=r["sub"],
            role=r["role"],
            organisation=r["org"],
            permissions=tuple(r["permissions"]),
            granted_at=r["granted_at"],
        )
        for r in await query
    ]


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
