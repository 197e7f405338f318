"""The people tests act as, holding genuine session tokens: one minter, signing with the
service's own session keys exactly as the identity service does.

Organisation ``kazan`` serves OKTMO prefix 92701; ``other`` and ``other-town`` serve 4538.
"""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

from shared.identity.claims import OrganisationGrant
from shared.identity.keys import SessionKeyRing
from shared.identity.tokens import SessionClaims, TokenService

__all__ = ("KAZAN", "OTHER_TOWN", "People", "TokenMinter", "auth")

KAZAN = "92701000001"
"""A municipality of the city organisation's territory (OKTMO prefix 92701)."""
OTHER_TOWN = "45380000001"
"""A municipality of the other organisation (prefix 4538)."""


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class TokenMinter:
    """Session tokens signed with the session key ring of ``keys_dir`` (created if absent)."""

    def __init__(self, keys_dir: Path, lifetime: dt.timedelta = dt.timedelta(hours=1)) -> None:
        self._tokens = TokenService(SessionKeyRing.load(keys_dir, create=True), lifetime=lifetime)

    @staticmethod
    def claims(
        *,
        sub: str | None = None,
        oktmo: str = KAZAN,
        born: dt.date = dt.date(1980, 5, 17),
        trusted: bool = True,
        roles: tuple[str, ...] = ("citizen",),
        orgs: tuple[OrganisationGrant, ...] = (),
        sid: str | None = None,
    ) -> SessionClaims:
        """What a session says of a person; a new subject and sign-in session unless given."""
        return SessionClaims(
            sub=sub or secrets.token_hex(16),
            trusted=trusted,
            birth_date=born,
            oktmo=oktmo,
            region=oktmo[:2],
            roles=roles,
            orgs=orgs,
            sid=sid or secrets.token_hex(8),
        )

    @property
    def keys(self) -> SessionKeyRing:
        """The key ring the tokens are signed with (a forger starts from it)."""
        return self._tokens.keys

    def issue(self, claims: SessionClaims) -> str:
        return self._tokens.issue(claims)[0]

    def token(
        self,
        *,
        sub: str | None = None,
        oktmo: str = KAZAN,
        born: dt.date = dt.date(1980, 5, 17),
        trusted: bool = True,
        roles: tuple[str, ...] = ("citizen",),
        orgs: tuple[OrganisationGrant, ...] = (),
    ) -> str:
        return self.issue(
            self.claims(sub=sub, oktmo=oktmo, born=born, trusted=trusted, roles=roles, orgs=orgs)
        )


class People(TokenMinter):
    """Citizens, officials and auditors of one service's tests, as request headers.

    ``official_permissions`` are what an official holds unless a test says otherwise: the
    permissions of the service under test."""

    def __init__(self, keys_dir: Path, official_permissions: tuple[str, ...]) -> None:
        super().__init__(keys_dir)
        self.official_permissions = official_permissions

    def citizen(
        self,
        *,
        sub: str | None = None,
        oktmo: str = KAZAN,
        born: dt.date = dt.date(1980, 5, 17),
        trusted: bool = True,
    ) -> dict[str, str]:
        return auth(self.token(sub=sub, oktmo=oktmo, born=born, trusted=trusted))

    def official(
        self,
        org: str = "kazan",
        territory: tuple[str, ...] = ("92701",),
        *,
        permissions: tuple[str, ...] | None = None,
    ) -> dict[str, str]:
        grant = OrganisationGrant(
            org=org,
            role="official",
            territory=territory,
            permissions=self.official_permissions if permissions is None else permissions,
        )
        return auth(self.token(roles=("citizen", "official"), orgs=(grant,)))

    def auditor(self) -> dict[str, str]:
        return auth(self.token(roles=("auditor",)))
