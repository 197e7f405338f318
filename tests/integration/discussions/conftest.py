"""A discussions app on fresh SQLite and PostgreSQL databases with the session's real Redis,
and the people who use it, holding genuine session tokens: citizens, officials of the city
(discussions:manage, moderate, respond) and of another organisation."""

from __future__ import annotations

import datetime as dt
import secrets
from pathlib import Path

import pytest
from litestar import Litestar

from services.discussions.app import create_app
from services.discussions.settings import DiscussionsSettings
from shared.config import Settings, load_settings
from shared.identity.keys import SessionKeyRing
from shared.identity.session import OrganisationGrant
from shared.identity.tokens import SessionClaims, TokenService
from tests.conftest import DatabaseFactory

KAZAN = "92701000001"
OTHER_TOWN = "45380000001"
ALL_PERMISSIONS = ("discussions:manage", "moderate", "respond")


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


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
        permissions: tuple[str, ...] = ALL_PERMISSIONS,
        territory: tuple[str, ...] = ("92701",),
    ) -> dict[str, str]:
        grant = OrganisationGrant(
            org=org, role="official", territory=territory, permissions=permissions
        )
        return auth(self.token(roles=("citizen", "official"), orgs=(grant,)))


@pytest.fixture
def settings(database_url: DatabaseFactory, redis_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "VMESTE_REDIS_URL": redis_url,
            "VMESTE_DISCUSSIONS_DATABASE_URL": database_url("discussions"),
            "VMESTE_IDENTITY_DATABASE_URL": database_url("identity"),
            "VMESTE_DATA_DIR": str(tmp_path / "data"),
            "VMESTE_KEYS_DIR": str(tmp_path / "keys"),
            "VMESTE_DISCUSSIONS_PUBLIC_URL": "https://discussions.vmeste.test",
        }
    )


@pytest.fixture
def options() -> DiscussionsSettings:
    return DiscussionsSettings(webhook_url=None, scheduler_interval_s=0.05, outbox_interval_s=0.05)


@pytest.fixture
def app(settings: Settings, options: DiscussionsSettings) -> Litestar:
    return create_app(settings, options)


@pytest.fixture
def people(app: Litestar, settings: Settings) -> People:
    return People(settings.security.keys_dir)
