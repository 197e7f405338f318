"""A polls app on fresh SQLite and PostgreSQL databases with the session's real Redis, and
the people who use it: citizens of two municipalities, officials of two organisations, an
auditor, all holding genuine session tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar

from services.polls.app import create_app
from shared.config import Settings, load_settings
from tests.conftest import DatabaseFactory
from tests.harness.people import People


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
    return People(settings.security.keys_dir, ("polls:manage",))
