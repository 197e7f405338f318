"""Piccolo engine factory.

Each service owns its database; tables are bound to that service's engine explicitly rather
than through Piccolo's process-wide ``PICCOLO_CONF`` lookup, so two services (and the tests of
both) can live in one process.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from urllib.parse import unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.table import Table

__all__ = ("bind_tables", "create_engine", "database_ping", "is_sqlite")


def create_engine(url: str) -> Engine:  # type: ignore[type-arg]
    """An engine for ``sqlite:///absolute/path`` or ``postgresql://user@host:port/db``."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = Path(unquote(url.removeprefix("sqlite://")))
        path.parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers proceed while a writer commits; busy timeout makes concurrent
        # writers queue instead of failing with "database is locked".
        return SQLiteEngine(path=str(path), timeout=30, isolation_level=None)
    if scheme in ("postgres", "postgresql"):
        return PostgresEngine(config={"dsn": url})
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use sqlite:/// or postgresql://")


def is_sqlite(engine: Engine) -> bool:  # type: ignore[type-arg]
    return isinstance(engine, SQLiteEngine)


def bind_tables(tables: Iterable[type[Table]], engine: Engine) -> None:  # type: ignore[type-arg]
    """Point every table of one service at that service's engine."""
    for table in tables:
        table._meta.db = engine


async def database_ping(engine: Engine) -> None:  # type: ignore[type-arg]
    """Readiness check: one round trip to the database."""
    await engine.run_ddl("SELECT 1")
