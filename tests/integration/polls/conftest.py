"""A polls app on fresh SQLite and PostgreSQL databases with the session's real Redis, and
the people who use it: citizens of two municipalities, officials of two organisations, an
auditor, all holding genuine session tokens."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest
from litestar import Litestar

from services.polls.app import create_app
from shared.config import Settings, load_settings
from shared.identity.keys import SessionKeyRing
from shared.identity.session import OrganisationGrant
from shared.identity.tokens import SessionClaims, TokenService
from tests.conftest import DatabaseFactory

KAZAN = "92701000001"
"""A municipality of the city organisation's territory (OKTMO prefix 92701)."""
OTHER_TOWN = "45380000001"
"""A municipality of the other organisation (prefix 4538)."""


class People:
    """Mints session tokens the way the identity service signs them."""

    def __init__(self, keys_dir: Path) -> None:
        self._tokens = TokenService(
            SessionKeyRing.load(keys_dir, create=True), lifetime=dt.timedelta(hours=1)
        )

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
        claims = SessionClaims(
            sub=sub or secrets.token_hex(16),
            trusted=trusted,
            birth_date=born,
            oktmo=oktmo,
            region=oktmo[:2],
            roles=roles,
            orgs=orgs,
            sid=secrets.token_hex(8),
        )
        return self._tokens.issue(claims)[0]

    def citizen(self, **kwargs: object) -> dict[str, str]:
        return auth(self.token(**kwargs))  # type: ignore[arg-type]

    def official(
        self, org: str = "kazan", territory: tuple[str, ...] = ("92701",)
    ) -> dict[str, str]:
        grant = OrganisationGrant(
            org=org, role="official", territory=territory, permissions=("polls:manage",)
        )
        return auth(self.token(roles=("citizen", "official"), orgs=(grant,)))

    def auditor(self) -> dict[str, str]:
        return auth(self.token(roles=("auditor",)))


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def settings(database_url: DatabaseFactory, redis_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "VMESTE_REDIS_URL": redis_url,
            "VMESTE_POLLS_DATABASE_URL": database_url("polls"),
            "VMESTE_IDENTITY_DATABASE_URL": database_url("identity"),
            "VMESTE_DATA_DIR": str(tmp_path / "data"),
            "VMESTE_KEYS_DIR": str(tmp_path / "keys"),
            "VMESTE_POLLS_PUBLIC_URL": "https://polls.vmeste.test",
        }
    )


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def people(app: Litestar, settings: Settings) -> People:
    return People(settings.security.keys_dir)
