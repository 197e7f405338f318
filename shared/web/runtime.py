"""What every service holds while it runs: its database engine and the Redis client.

Created once per process in the lifespan, stored on ``app.state`` and handed to handlers by
dependency injection, so nothing opens a connection at import time.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import structlog
from litestar import Litestar
from piccolo.engine.base import Engine
from piccolo.table import Table
from redis.asyncio import Redis

from shared.config import Settings
from shared.db.engine import bind_tables, create_engine, database_ping, is_sqlite
from shared.redis import Scripts, create_redis, redis_ping
from shared.web.health import ReadinessCheck

__all__ = ("Runtime", "database_connection", "runtime_lifespan")

_RECONNECT_S = 2.0
_log = structlog.get_logger("vmeste.runtime")


@dataclass
class Runtime:
    settings: Settings
    engine: Engine  # type: ignore[type-arg]
    redis: Redis
    scripts: Scripts

    def readiness(self) -> list[ReadinessCheck]:
        return [("database", lambda: database_ping(self.engine)), ("redis", self._ping_redis)]

    async def _ping_redis(self) -> None:
        await redis_ping(self.redis)


@asynccontextmanager
async def database_connection(component: str, engine: Engine) -> AsyncIterator[None]:  # type: ignore[type-arg]
    """Open ``engine`` for the app's lifetime (WAL on SQLite, a pool on PostgreSQL).

    A database that does not answer at start does not stop the app: liveness must not
    depend on it, readiness says so, and a background task keeps trying to connect.
    """

    async def connect() -> None:
        if is_sqlite(engine):
            # WAL: readers never wait for the writer; NORMAL sync is durable in WAL mode
            # across process crashes (only an OS crash may lose the last commits).
            await engine.run_ddl("PRAGMA journal_mode=WAL")
        else:
            await engine.start_connection_pool(  # type: ignore[no-untyped-call,call-arg]
                min_size=2, max_size=20
            )

    async def keep_trying() -> None:
        while True:
            await asyncio.sleep(_RECONNECT_S)
            try:
                await connect()
            except Exception as exc:  # still down: readiness says so; try again
                _log.warning("database still unreachable", component=component, error=str(exc))
            else:
                _log.info("database reachable again", component=component)
                return

    retry: asyncio.Task[None] | None = None
    try:
        await connect()
    except Exception as exc:
        # Start anyway: liveness must not depend on the database, and readiness keeps
        # the replica out of the load balancer until the database answers.
        _log.warning("database unreachable at start", component=component, error=str(exc))
        retry = asyncio.create_task(keep_trying())
    try:
        yield
    finally:
        if retry is not None:
            retry.cancel()
        if is_sqlite(engine) or getattr(engine, "pool", None) is not None:
            # SQLite: the connections kept for statements outside transactions.
            await engine.close_connection_pool()  # type: ignore[no-untyped-call]


def runtime_lifespan(
    component: str, settings: Settings, tables: Sequence[type[Table]]
) -> tuple[Runtime, Any]:
    """A Runtime for ``component`` and the lifespan that opens and closes its connections."""
    engine = create_engine(settings.database.url_for(component))
    bind_tables(tables, engine)
    redis, scripts = create_redis(settings.redis.url)
    runtime = Runtime(settings=settings, engine=engine, redis=redis, scripts=scripts)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.runtime = runtime
        try:
            async with database_connection(component, engine):
                yield
        finally:
            await redis.aclose()

    return runtime, lifespan
