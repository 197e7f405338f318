"""Assembles the discussions service."""

from __future__ import annotations

from litestar import Litestar

from services.discussions.tables import TABLES
from shared.config import Settings, get_settings
from shared.version import VERSION
from shared.web.app import build_app
from shared.web.runtime import runtime_lifespan

__all__ = ("create_app",)


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    runtime, lifespan = runtime_lifespan("discussions", settings, TABLES)
    return build_app(
        service="discussions",
        version=VERSION,
        settings=settings,
        route_handlers=[],
        readiness=runtime.readiness(),
        lifespan=[lifespan],
    )
