"""Both services on fresh SQLite databases with the session's real Redis.

The security suite pins SQLite: it is about what the HTTP surface answers, which the
integration suites already prove the same on PostgreSQL.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from services.discussions.settings import DiscussionsSettings
from shared.config import Settings, load_settings
from tests.conftest import DatabaseFactory
from tests.security._people import People


@pytest.fixture
def database_backend() -> str:
    return "sqlite"


@pytest.fixture
def settings(database_url: DatabaseFactory, redis_url: str, tmp_path: Path) -> Settings:
    return load_settings(
        {
            "VMESTE_REDIS_URL": redis_url,
            "VMESTE_POLLS_DATABASE_URL": database_url("polls"),
            "VMESTE_DISCUSSIONS_DATABASE_URL": database_url("discussions"),
            "VMESTE_IDENTITY_DATABASE_URL": database_url("identity"),
            "VMESTE_DATA_DIR": str(tmp_path / "data"),
            "VMESTE_KEYS_DIR": str(tmp_path / "keys"),
            "VMESTE_POLLS_PUBLIC_URL": "https://polls.vmeste.test",
            "VMESTE_DISCUSSIONS_PUBLIC_URL": "https://discussions.vmeste.test",
        }
    )


@pytest.fixture
def options() -> DiscussionsSettings:
    return DiscussionsSettings(webhook_url=None, scheduler_interval_s=0.05, outbox_interval_s=0.05)


@pytest.fixture
def people(settings: Settings) -> People:
    return People(settings.security.keys_dir)
