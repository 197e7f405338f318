"""The people the security suite signs in as, holding genuine session tokens.

Organisation ``kazan`` serves OKTMO prefix 92701 and owns every object the suite creates;
organisation ``other`` serves 4538. Each person is a set of request headers: ``headers`` mints
a new person on every call, ``caller`` one who stays the same person (the same subject and
sign-in session, so the session's CSRF token can be computed) for as long as it is kept.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from shared.identity.claims import OrganisationGrant
from shared.identity.tokens import SessionClaims
from tests.harness.people import KAZAN, OTHER_TOWN, TokenMinter

__all__ = (
    "ALL_PERMISSIONS",
    "KAZAN",
    "OTHER_TOWN",
    "OWNER",
    "Caller",
    "People",
    "Persona",
    "bearer",
)

OWNER = "kazan"
"""The organisation every object of the suite belongs to."""
ALL_PERMISSIONS = ("polls:manage", "discussions:manage", "moderate", "respond")


class Persona(StrEnum):
    """Who calls a route in the authorisation matrix."""

    ANONYMOUS = "anonymous"
    CITIZEN = "citizen"
    CITIZEN_ELSEWHERE = "citizen-elsewhere"
    """A citizen registered in another organisation's territory."""
    OFFICIAL_ELSEWHERE = "official-elsewhere"
    """An official with every permission, but for another organisation."""
    MODERATOR_ELSEWHERE = "moderator-elsewhere"
    """An official of another organisation holding only the moderate permission."""
    UNPERMITTED = "official-without-permission"
    """An official of the owning organisation holding every permission but the one the route
    needs (none, for a route that needs none)."""
    AUDITOR = "auditor"
    ADMIN = "admin"
    """A platform administrator: no organisation, the admin role."""
    COOKIE_WITHOUT_CSRF = "official-by-cookie-without-csrf"
    """An official of the owning organisation with every permission, signed in by the session
    cookie, sending no CSRF token."""
    COOKIE = "official-by-cookie"
    """The same kind of official by the session cookie, with the session's CSRF token."""
    OFFICIAL = "official"
    """An official of the owning organisation with every permission, by Bearer token (sets
    up the suite's objects; the owner of the authorisation matrix; the fuzzer's official)."""


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@dataclass(frozen=True)
class Caller:
    """One person with one session token; ``sid`` names its sign-in session."""

    token: str
    sid: str
    sub: str
    by_cookie: bool = False

    def headers(self, csrf: str | None = None) -> dict[str, str]:
        """The session as its kind of client presents it; ``csrf`` is sent as the
        ``X-CSRF-Token`` header when given (what a page's own script does)."""
        if not self.by_cookie:
            return bearer(self.token)
        sent = {"Cookie": f"vmeste_session={self.token}"}
        return sent if csrf is None else {**sent, "X-CSRF-Token": csrf}


class People:
    """Mints session tokens with the key ring the services verify with."""

    def __init__(self, keys_dir: Path) -> None:
        self.minter = TokenMinter(keys_dir)

    def claims(self, persona: Persona, *, without: Iterable[str] = ()) -> SessionClaims | None:
        """A new person of ``persona``; ``without`` names the permissions the
        ``UNPERMITTED`` official lacks."""
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
            case Persona.OFFICIAL_ELSEWHERE | Persona.MODERATOR_ELSEWHERE:
                roles = ("citizen", "official")
                permissions: tuple[str, ...] = (
                    ALL_PERMISSIONS if persona is Persona.OFFICIAL_ELSEWHERE else ("moderate",)
                )
                orgs = (
                    OrganisationGrant(
                        org="other", role="official", territory=("4538",), permissions=permissions
                    ),
                )
                oktmo = OTHER_TOWN
            case (
                Persona.OFFICIAL
                | Persona.UNPERMITTED
                | Persona.COOKIE
                | Persona.COOKIE_WITHOUT_CSRF
            ):
                lacking = set(without) if persona is Persona.UNPERMITTED else set()
                permissions = tuple(p for p in ALL_PERMISSIONS if p not in lacking)
                if persona is Persona.UNPERMITTED and not lacking:
                    permissions = ()
                roles = ("citizen", "official")
                orgs = (
                    OrganisationGrant(
                        org=OWNER, role="official", territory=("92701",), permissions=permissions
                    ),
                )
            case Persona.AUDITOR:
                roles = ("auditor",)
            case Persona.ADMIN:
                roles = ("admin",)
        # Subjects of 64 hex characters, like real pseudonyms.
        return TokenMinter.claims(sub=secrets.token_hex(32), oktmo=oktmo, roles=roles, orgs=orgs)

    def caller(self, persona: Persona, *, without: Iterable[str] = ()) -> Caller | None:
        """A new person of ``persona`` who stays the same person while the caller is kept;
        None for the anonymous."""
        claims = self.claims(persona, without=without)
        if claims is None:
            return None
        return Caller(
            token=self.minter.issue(claims),
            sid=claims.sid,
            sub=claims.sub,
            by_cookie=persona in (Persona.COOKIE, Persona.COOKIE_WITHOUT_CSRF),
        )

    def token(self, persona: Persona) -> str | None:
        claims = self.claims(persona)
        return None if claims is None else self.minter.issue(claims)

    def headers(self, persona: Persona) -> dict[str, str]:
        token = self.token(persona)
        return {} if token is None else bearer(token)
