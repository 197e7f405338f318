"""A discussions app on fresh SQLite and PostgreSQL databases with the session's real Redis,
and the people who use it, holding genuine session tokens: citizens, officials of the city
(discussions:manage, moderate, respond) and of another organisation."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar import Litestar

from services.discussions.app import create_app
from services.discussions.settings import DiscussionsSettings
from shared.config import Settings, load_settings
from tests.conftest import DatabaseFactory
from tests.harness.people import People

ALL_PERMISSIONS = ("discussions:manage", "moderate", "respond")


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
    return People(settings.security.keys_dir, ALL_PERMISSIONS)
