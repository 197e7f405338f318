"""Wire formats of the admins' registry: what admins send and what they and auditors read."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from shared.identity.invitations import (
    DEFAULT_INVITATION_HOURS,
    MAX_INVITATION_HOURS,
    InvitationRecord,
)
from shared.identity.registry import MAX_NAME_LENGTH, MAX_ORIGINS, MAX_TERRITORY
from shared.identity.trail import ChangeRecord

__all__ = (
    "GrantIn",
    "InvitationIn",
    "InvitationList",
    "InvitationOut",
    "IssuedInvitationOut",
    "MembershipList",
    "MembershipOut",
    "OrganisationEdit",
    "OrganisationIn",
    "OrganisationList",
    "OrganisationOut",
    "TerritoryCode",
    "TrailOut",
)

Slug = Annotated[str, Meta(min_length=1, max_length=64)]
Name = Annotated[str, Meta(min_length=1, max_length=MAX_NAME_LENGTH)]
Codes = Annotated[
    list[Annotated[str, Meta(max_length=11)]], Meta(min_length=1, max_length=MAX_TERRITORY)
]
Origins = Annotated[list[Annotated[str, Meta(max_length=300)]], Meta(max_length=MAX_ORIGINS)]
Sub = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
GrantedRole = Literal["official", "auditor", "admin"]
PermissionName = Literal["polls:manage", "discussions:manage", "moderate", "respond"]
Permissions = Annotated[list[PermissionName], Meta(max_length=4)]
Hours = Annotated[int, Meta(ge=1, le=MAX_INVITATION_HOURS)]


class _In(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Request bodies: unknown fields are a 400, not silently ignored."""


class OrganisationIn(_In, kw_only=True):
    slug: Slug
    """Stable short name: lower-case letters, digits and -."""
    name: Name
    territory: Codes
    """OKTMO codes (8 or 11 digits) of the municipalities it serves."""
    embed_origins: Origins = msgspec.field(default_factory=list)
    """Official sites allowed to frame its widgets, as https://host[:port]."""


class OrganisationEdit(_In, kw_only=True):
    name: Name
    territory: Codes
    embed_origins: Origins = msgspec.field(default_factory=list)


class TerritoryCode(msgspec.Struct, kw_only=True):
    oktmo: str
    name: str | None
    """The municipality's name from the imported address register; null if it names none."""


class OrganisationOut(msgspec.Struct, kw_only=True):
    slug: str
    name: str
    territory: tuple[TerritoryCode, ...]
    embed_origins: tuple[str, ...]


class OrganisationList(msgspec.Struct, kw_only=True):
    organisations: tuple[OrganisationOut, ...]


class GrantIn(_In, kw_only=True):
    sub: Sub
    """The person's pseudonymous id (shown to them on their account; never the ESIA oid)."""
    role: GrantedRole
    organisation: Slug | None = None
    """Officials only."""
    permissions: Permissions = msgspec.field(default_factory=list)
    """Officials only; a moderator is an official with ``moderate``."""


class MembershipOut(msgspec.Struct, kw_only=True):
    id: int
    sub: str
    role: str
    organisation: str | None
    permissions: tuple[str, ...]
    granted_at: dt.datetime


class MembershipList(msgspec.Struct, kw_only=True):
    memberships: tuple[MembershipOut, ...]
    takes_effect: str
    """When a change reaches the person's session."""


class InvitationIn(_In, kw_only=True):
    role: GrantedRole
    organisation: Slug | None = None
    permissions: Permissions = msgspec.field(default_factory=list)
    hours: Hours = DEFAULT_INVITATION_HOURS
    """How long the link works."""


class InvitationOut(msgspec.Struct, kw_only=True):
    id: int
    role: str
    organisation: str | None
    permissions: tuple[str, ...]
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    state: str
    """pending, accepted, withdrawn or expired."""
    accepted_by: str | None
    accepted_at: dt.datetime | None

    @classmethod
    def of(cls, record: InvitationRecord) -> InvitationOut:
        return cls(
            id=record.id,
            role=record.role,
            organisation=record.organisation,
            permissions=record.permissions,
            created_by=record.created_by,
            created_at=record.created_at,
            expires_at=record.expires_at,
            state=record.state,
            accepted_by=record.accepted_by,
            accepted_at=record.accepted_at,
        )


class IssuedInvitationOut(msgspec.Struct, kw_only=True):
    invitation: InvitationOut
    url: str
    """The link to send: shown this once, its secret is not stored."""


class InvitationList(msgspec.Struct, kw_only=True):
    invitations: tuple[InvitationOut, ...]


class TrailOut(msgspec.Struct, kw_only=True):
    changes: tuple[ChangeRecord, ...]
    next_before: int | None
    """Ask with ``before`` set to this for the older changes; null on the last page."""
