"""The people the security suite signs in as, holding genuine session tokens.

Organisation ``kazan`` serves OKTMO prefix 92701 and owns every object the suite creates;
organisation ``other`` serves 4538. Each person is a set of request headers.
"""

from __future__ import annotations

import datetime as dt
import secrets
from enum import StrEnum
from pathlib import Path

from shared.identity.keys import KeyRing
from shared.identity.session import OrganisationGrant
from shared.identity.tokens import SessionClaims, TokenService

__all__ = (
    "KAZAN",
    "OTHER_TOWN",
    "OWNER",
    "People",
    "Persona",
    "bearer",
)

KAZAN = "92701000001"
"""A municipality of the owning organisation's territory."""
OTHER_TOWN = "45380000001"
"""A municipality of the other organisation's territory."""
OWNER = "kazan"
"""The organisation every object of the suite belongs to."""
_ALL_PERMISSIONS = ("polls:manage", "discussions:manage", "moderate", "respond")


class Persona(StrEnum):
    """Who calls a route in the authorisation matrix."""

    ANONYMOUS = "anonymous"
    CITIZEN = "citizen"
    CITIZEN_ELSEWHERE = "citizen-elsewhere"
    """A citizen registered in another organisation's territory."""
    OFFICIAL_ELSEWHERE = "official-elsewhere"
    """An official with every permission, but for another organisation."""
    AUDITOR = "auditor"
    OFFICIAL = "official"
    """An official of the owning organisation (used to set up, and as the fuzzer's official)."""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class People:
    """Mints session tokens with the key ring the services verify with."""

    def __init__(self, keys_dir: Path) -> None:
        self.tokens = TokenService(
            KeyRing.load(keys_dir, create=True), lifetime=dt.timedelta(hours=1)
        )

    def claims(self, persona: Persona) -> SessionClaims | None:
        oktmo = KAZAN
        roles: tuple[str, ...] = ("citizen",)
        orgs: tuple[OrganisationGrant, ...] = ()
        match persona:
            case Persona.ANONYMOUS:
                return None
            case Persona.CITIZEN:
                pass
            case Persona.CITIZEN_ELSEWHERE:
                oktmo = OTHER_TOWN
            case Persona.OFFICIAL | Persona.OFFICIAL_ELSEWHERE:
                own = persona is Persona.OFFICIAL
                roles = ("citizen", "official")
                orgs = (
                    OrganisationGrant(
                        org=OWNER if own else "other",
                        role="official",
                        territory=("92701",) if own else ("4538",),
                        permissions=_ALL_PERMISSIONS,
                    ),
                )
                oktmo = KAZAN if own else OTHER_TOWN
            case Persona.AUDITOR:
                roles = ("auditor",)
        return SessionClaims(
            sub=secrets.token_hex(16),
            trusted=True,
            birth_date=dt.date(1980, 5, 17),
            oktmo=oktmo,
            region=oktmo[:2],
            roles=roles,
            orgs=orgs,
            sid=secrets.token_hex(8),
        )

    def token(self, persona: Persona) -> str | None:
        claims = self.claims(persona)
        return None if claims is None else self.tokens.issue(claims)[0]

    def headers(self, persona: Persona) -> dict[str, str]:
        token = self.token(persona)
        return {} if token is None else bearer(token)
