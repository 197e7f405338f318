"""One database connection for bulk work, SQLite or PostgreSQL, with one small interface.

Piccolo's query builder costs more than the rows it writes when there are millions of them;
an import talks to the driver directly: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.
SQL is written once with ``?`` placeholders (none of it holds a literal ``?``).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import unquote, urlsplit

import aiosqlite
import asyncpg

# Piccolo registers how SQLite stores dates and times; rows written here read back the same.
from piccolo.engine import sqlite as _piccolo_sqlite  # noqa: F401

__all__ = ("BulkConnection", "connect")

_PLACEHOLDER = re.compile(r"\?")


class BulkConnection(Protocol):
    sqlite: bool

    async def execute(self, sql: str, *args: Any) -> int:
        """Run one statement; the number of rows it changed."""
        ...

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]: ...

    async def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        """Append ``rows`` to a staging table, in a transaction of their own."""
        ...

    def transaction(self) -> _Transaction: ...

    async def close(self) -> None: ...


class _Transaction(Protocol):
    async def __aenter__(self) -> None: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class _SqliteTransaction:
    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def __aenter__(self) -> None:
        # IMMEDIATE: take the write lock now, so a concurrent writer waits rather than fails.
        await self._db.execute("BEGIN IMMEDIATE")

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._db.execute("ROLLBACK" if exc_type else "COMMIT")


class _Sqlite:
    sqlite = True

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, *args: Any) -> int:
        cursor = await self._db.execute(sql, args)
        count = cursor.rowcount
        await cursor.close()
        return max(count, 0)

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        async with self._db.execute(sql, args) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        marks = ", ".join("?" for _ in columns)
        # Deferred, not IMMEDIATE: staging tables are temporary, the database stays unlocked.
        await self._db.execute("BEGIN")
        await self._db.executemany(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",  # noqa: S608
            rows,
        )
        await self._db.execute("COMMIT")

    def transaction(self) -> _Transaction:
        return _SqliteTransaction(self._db)

    async def close(self) -> None:
        await self._db.close()


class _PostgresTransaction:
    def __init__(self, db: asyncpg.Connection) -> None:
        self._transaction = db.transaction()

    async def __aenter__(self) -> None:
        await self._transaction.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type:
            await self._transaction.rollback()
        else:
            await self._transaction.commit()


def _numbered(sql: str) -> str:
    counter = iter(range(1, 1_000_000))
    return _PLACEHOLDER.sub(lambda _: f"${next(counter)}", sql)


class _Postgres:
    sqlite = False

    def __init__(self, db: asyncpg.Connection) -> None:
        self._db = db

    async def execute(self, sql: str, *args: Any) -> int:
        status = await self._db.execute(_numbered(sql), *args)
        last = str(status).rsplit(" ", 1)[-1]
        return int(last) if last.isdigit() else 0

    async def fetch(self, sql: str, *args: Any) -> list[tuple[Any, ...]]:
        return [tuple(row) for row in await self._db.fetch(_numbered(sql), *args)]

    async def insert(
        self, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
    ) -> None:
        await self._db.copy_records_to_table(table, records=rows, columns=list(columns))

    def transaction(self) -> _Transaction:
        return _PostgresTransaction(self._db)

    async def close(self) -> None:
        await self._db.close()


async def connect(url: str, *, cache_mib: int = 64) -> BulkConnection:
    """A connection to the database at ``url`` (``sqlite:///path`` or ``postgresql://…``)."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = Path("/" + unquote(url.removeprefix("sqlite://")).lstrip("/"))
        try:
            # mode=rw: a missing file is an error, not a new empty database.
            db = await aiosqlite.connect(
                f"{path.as_uri()}?mode=rw", uri=True, timeout=30, isolation_level=None
            )
        except sqlite3.OperationalError as exc:
            raise FileNotFoundError(f"{path}: {exc}; run vmeste migrate identity") from None
        # WAL lets sign-in read the old data while an import writes the new.
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute(f"PRAGMA cache_size=-{cache_mib * 1024}")
        return _Sqlite(db)
    if scheme in ("postgres", "postgresql"):
        return _Postgres(await asyncpg.connect(url))
    raise ValueError(f"unsupported database URL scheme {scheme!r}: use sqlite:/// or postgresql://")
