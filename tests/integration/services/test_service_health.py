"""Both services come up on a migrated database and real Redis, and report their health."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.discussions.app import create_app as create_discussions
from services.polls.app import create_app as create_polls
from shared.config import Settings, load_settings
from tests.conftest import DatabaseFactory

SERVICES: dict[str, Callable[[Settings], Litestar]] = {
    "polls": create_polls,
    "discussions": create_discussions,
}


def _settings(database_url: DatabaseFactory, redis_url: str) -> Settings:
    return load_settings(
        {
            "VMESTE_REDIS_URL": redis_url,
            **{
                f"VMESTE_{c.upper()}_DATABASE_URL": database_url(c)
                for c in ("polls", "discussions", "identity")
            },
        }
    )


@pytest.mark.parametrize("service", SERVICES)
async def test_ready_when_database_and_redis_answer(
    service: str, database_url: DatabaseFactory, redis_url: str
) -> None:
    app = SERVICES[service](_settings(database_url, redis_url))
    async with AsyncTestClient(app) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] == "ok"
        assert {"database", "redis", "identity-database"} <= set(body["checks"])
        assert set(body["checks"].values()) == {"ok"}


@pytest.mark.parametrize("service", SERVICES)
async def test_still_ready_but_degraded_when_redis_is_unreachable(
    service: str, database_url: DatabaseFactory
) -> None:
    app = SERVICES[service](_settings(database_url, "redis://127.0.0.1:1/0"))
    async with AsyncTestClient(app) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 200
        assert ready.json()["status"] == "degraded"
        assert ready.json()["checks"]["redis"].startswith("failing")
        assert ready.json()["checks"]["database"] == "ok"


@pytest.mark.parametrize("service", SERVICES)
async def test_not_ready_but_live_when_the_database_is_unreachable(
    service: str, redis_url: str, tmp_path: Path, database_url: DatabaseFactory
) -> None:
    unopenable = tmp_path / "db.sqlite"
    unopenable.mkdir()  # a folder where the database file should be: SQLite cannot open it
    settings = load_settings(
        {
            "VMESTE_REDIS_URL": redis_url,
            f"VMESTE_{service.upper()}_DATABASE_URL": f"sqlite:///{unopenable}",
            "VMESTE_IDENTITY_DATABASE_URL": database_url("identity"),
            "VMESTE_DATA_DIR": str(tmp_path),
        }
    )
    app = SERVICES[service](settings)
    async with AsyncTestClient(app) as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"].startswith("failing")
        assert ready.headers["retry-after"] == "5"
        live = await client.get("/health/live")
        assert live.status_code == 200


@pytest.mark.parametrize("service", SERVICES)
async def test_openapi_document_is_served_at_schema(
    service: str, database_url: DatabaseFactory, redis_url: str
) -> None:
    app = SERVICES[service](_settings(database_url, redis_url))
    async with AsyncTestClient(app) as client:
        response = await client.get("/schema/openapi.json")
        assert response.status_code == 200
        assert response.json()["info"]["title"] == f"Vmeste {service}"
