"""Piccolo engine factory.

Each service owns its database; tables are bound to that service's engine explicitly rather
than through Piccolo's process-wide ``PICCOLO_CONF`` lookup, so two services (and the tests of
both) can live in one process.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from piccolo.engine.base import Engine
from piccolo.engine.postgres import PostgresEngine, PostgresTransaction
from piccolo.engine.sqlite import SQLiteEngine, SQLiteTransaction, TransactionType
from piccolo.table import Table

from shared.db.sqlite_kept import KeptConnections
from shared.db.sqlite_lent import LentConnection, LentConnections

__all__ = ("bind_tables", "create_engine", "database_ping", "is_sqlite")


async def _abandon(transaction: Any, release: Any) -> None:
    """What piccolo's ``__aexit__`` skips when COMMIT or ROLLBACK raises (the connection died
    mid-transaction): give the connection back and forget the transaction. Without this the
    task's context keeps pointing at the dead transaction, so every later ``transaction()``
    in that task nests into it and fails for ever: a long-lived task (the log integrator, a
    scheduler, a group-commit drain) would never recover after a database restart."""
    with contextlib.suppress(Exception):
        await release()
    with contextlib.suppress(ValueError, RuntimeError, LookupError):
        transaction.engine.current_transaction.reset(transaction.context)


async def _exit(
    transaction: Any,
    parent_exit: Callable[..., Awaitable[Any]],
    release: Callable[[], Awaitable[Any]],
    exc_info: tuple[Any, ...],
) -> bool:
    """piccolo's ``__aexit__`` (``parent_exit``) of the outermost transaction, abandoning it if
    that raises; a nested one only reports whether its block raised."""
    if transaction._parent:
        return exc_info[1] is None
    try:
        return bool(await parent_exit(*exc_info))
    except BaseException:
        await _abandon(transaction, release)
        raise


class _PostgresTransaction(PostgresTransaction):
    async def __aexit__(self, *exc_info: Any) -> bool:
        return await _exit(self, super().__aexit__, self._release, exc_info)

    async def _release(self) -> None:
        if self.engine.pool:
            await self.engine.pool.release(self.connection)
        else:
            await self.connection.close()


class _PostgresEngine(PostgresEngine):
    def transaction(self, allow_nested: bool = True) -> PostgresTransaction:
        return _PostgresTransaction(engine=self, allow_nested=allow_nested)


_RETURNING = 3.35
"""The first SQLite with RETURNING; older ones need Piccolo's own insert path."""


class _SQLiteTransaction(SQLiteTransaction):
    engine: _SQLiteEngine

    async def get_connection(self) -> Any:
        if self.engine.get_version_sync() < _RETURNING:
            return await super().get_connection()  # type: ignore[no-untyped-call]
        return self.engine._lent.lend()

    async def begin(self) -> None:
        # Piccolo's __aenter__ leaves the connection open when BEGIN fails (the write lock
        # not had within the busy timeout): give it back here.
        try:
            await super().begin()  # type: ignore[no-untyped-call]
        except BaseException:
            await self._release()
            raise

    async def __aexit__(self, *exc_info: Any) -> bool:
        return await _exit(self, super().__aexit__, self._release, exc_info)

    async def _release(self) -> None:
        await self.connection.close()


class _SQLiteEngine(SQLiteEngine):
    def __init__(self, path: str, **connection_kwargs: Any) -> None:
        super().__init__(path=path, **connection_kwargs)
        self._kept = KeptConnections(self.connection_kwargs)
        self._lent = LentConnections(self.connection_kwargs)

    async def _run_in_new_connection(
        self,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        """A statement outside a transaction, on a kept connection (:mod:`.sqlite_kept`)."""
        if query_type == "insert" and self.get_version_sync() < _RETURNING:
            return await super()._run_in_new_connection(query, args, query_type, table)
        return await self._kept.run(query, args or [])

    async def _run_in_existing_connection(
        self,
        connection: Any,
        query: str,
        args: list[Any] | None = None,
        query_type: str = "generic",
        table: type[Table] | None = None,
    ) -> Any:
        """A statement of a transaction: one hop to its lent connection (:mod:`.sqlite_lent`)."""
        if isinstance(connection, LentConnection):
            return await connection.execute(query, args or [])
        return await super()._run_in_existing_connection(connection, query, args, query_type, table)

    async def close_connection_pool(self) -> None:
        self._kept.close()
        self._lent.close()

    def transaction(
        self,
        transaction_type: TransactionType = TransactionType.deferred,
        allow_nested: bool = True,
    ) -> SQLiteTransaction:
        return _SQLiteTransaction(
            engine=self, transaction_type=transaction_type, allow_nested=allow_nested
        )


def create_engine(url: str) -> Engine:  # type: ignore[type-arg]
    """An engine for ``sqlite:///absolute/path`` or ``postgresql://user@host:port/db``."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = Path(unquote(url.removeprefix("sqlite://")))
        path.parent.mkdir(parents=True, exist_ok=True)
        # WAL lets readers proceed while a writer commits; busy timeout makes concurrent
        # writers queue instead of failing with "database is locked".
        return _SQLiteEngine(path=str(path), timeout=30, isolation_level=None)
    if scheme in ("postgres", "postgresql"):
        return _PostgresEngine(config={"dsn": url})
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
