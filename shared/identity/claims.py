"""What a signed session says about the person holding it: the session token's claims.

Both services read this and nothing else: no database lookup is needed to know who someone
is, what municipality they live in, or which organisation's polls they may manage.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

import msgspec

__all__ = ("OrganisationGrant", "Permission", "Role", "Session")


class Role(StrEnum):
    CITIZEN = "citizen"
    OFFICIAL = "official"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Permission(StrEnum):
    """What an official may do for their organisation."""

    POLLS_MANAGE = "polls:manage"
    DISCUSSIONS_MANAGE = "discussions:manage"
    MODERATE = "moderate"
    RESPOND = "respond"


# gc=False: frozen and holding only strings, numbers, dates and tuples of them, neither can be
# part of a reference cycle; a service keeps thousands of verified sessions, which the garbage
# collector would otherwise walk in every full collection.
class OrganisationGrant(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """One membership as it travels in the session."""

    org: str
    """Organisation slug."""
    role: str
    territory: tuple[str, ...] = ()
    """OKTMO codes the organisation serves."""
    permissions: tuple[str, ...] = ()


class Session(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The verified claims of a session token (it satisfies ``shared.eligibility.Participant``)."""

    sub: str
    """Pseudonymous subject: HMAC of the ESIA oid under the platform pepper."""
    trusted: bool
    """Confirmed Gosuslugi account."""
    birth_date: dt.date
    oktmo: str
    """OKTMO of the registration address."""
    region: str
    """Federal subject code of the registration address."""
    roles: tuple[str, ...]
    orgs: tuple[OrganisationGrant, ...] = ()
    sid: str
    """Sign-in session id, shared by every token refreshed from one sign-in; revoked at sign-out."""
    jti: str
    iat: int
    exp: int

    @property
    def expires_at(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.exp, dt.UTC)

    def has_role(self, role: str) -> bool:
        return role in self.roles

    def has_permission(self, permission: str, organisation: str | None = None) -> bool:
        """True if some membership (or the one of ``organisation``) grants ``permission``."""
        return any(
            permission in grant.permissions
            for grant in self.orgs
            if organisation is None or grant.org == organisation
        )

    def organisations_with(self, permission: str) -> tuple[str, ...]:
        """Slugs of the organisations for which the session holds ``permission``."""
        return tuple(g.org for g in self.orgs if permission in g.permissions)
