"""Apps built the way the services build them: build_app plus identity_components."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from litestar import Litestar, get, post

from shared.config import Settings, load_settings
from shared.identity import (
    OptionalSessionDependency,
    SessionDependency,
    identity_components,
    requires_permission,
    requires_role,
)
from shared.web.app import build_app
from tests.conftest import DatabaseFactory

AppFactory = Callable[..., Litestar]


@get("/official/polls", guards=[requires_permission("polls:manage")], sync_to_thread=False)
def official_polls(session: SessionDependency) -> dict[str, object]:
    return {"orgs": list(session.organisations_with("polls:manage"))}


@get("/audit", guards=[requires_role("auditor")], sync_to_thread=False)
def audit() -> dict[str, str]:
    return {"ok": "yes"}


@get("/public", sync_to_thread=False)
def public(optional_session: OptionalSessionDependency) -> dict[str, str | None]:
    return {"sub": optional_session.sub if optional_session else None}


@post("/api/v1/whoami", status_code=200, sync_to_thread=False)
def whoami(session: SessionDependency) -> dict[str, str]:
    """An API write in miniature: it needs a session."""
    return {"sub": session.sub}


@pytest.fixture
def identity_url(database_url: DatabaseFactory) -> str:
    return database_url("identity")


@pytest.fixture
def settings_for(tmp_path: Path, identity_url: str, redis_url: str) -> Callable[..., Settings]:
    def make(**overrides: str) -> Settings:
        environ = {
            "VMESTE_DATA_DIR": str(tmp_path / "data"),
            "VMESTE_KEYS_DIR": str(tmp_path / "keys"),
            "VMESTE_IDENTITY_DATABASE_URL": identity_url,
            "VMESTE_REDIS_URL": redis_url,
            **overrides,
        }
        return load_settings(environ)

    return make


@pytest.fixture
def make_app(settings_for: Callable[..., Settings]) -> AppFactory:
    """``make_app(service="polls", environ=..., cleanup_interval_s=..., secure_cookies=...,
    **settings overrides)``."""

    def make(
        service: str = "polls",
        environ: Mapping[str, str] | None = None,
        pooled: bool = True,
        cleanup_interval_s: float = 60.0,
        secure_cookies: bool = False,
        **overrides: str,
    ) -> Litestar:
        settings = settings_for(**overrides)
        if secure_cookies:  # as in production, with the development provider kept
            security = dataclasses.replace(settings.security, secure_cookies=True)
            settings = dataclasses.replace(settings, security=security)
        identity = identity_components(
            settings,
            service=service,
            environ=environ or {},
            pooled=pooled,
            cleanup_interval_s=cleanup_interval_s,
        )
        return build_app(
            service=service,
            version="test",
            settings=settings,
            route_handlers=[*identity.route_handlers, official_polls, audit, public, whoami],
            middleware=identity.middleware,
            dependencies=identity.dependencies,
            lifespan=identity.lifespan,
            readiness=identity.readiness,
        )

    return make
