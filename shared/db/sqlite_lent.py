"""SQLite transactions on connections kept open, each lent to one transaction at a time.

Piccolo's SQLite transaction opens a new aiosqlite connection (a new thread, a new file handle,
the schema read again) and sends each statement to that thread in four hops (the foreign-keys
pragma, the statement, the fetch, the cursor's close). Here a transaction borrows a connection
opened once, and each statement is one hop to its thread.

Every connection has a thread of its own, as aiosqlite's have: a transaction waiting for
SQLite's write lock (``BEGIN IMMEDIATE`` waits up to the busy timeout) holds its thread, and
must not hold one that the lock's holder needs to finish. A connection goes back to the idle
ones only if its transaction ended (committed or rolled back) and none of its statements failed
but by a constraint violation; any other connection is closed. A process forked from one that
used them opens its own.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from shared.db.sqlite_kept import open_connection, rows_of

__all__ = ("LentConnection", "LentConnections")

_IDLE = 4
"""Connections kept open while no transaction uses them. More transactions at once open more,
and close the extra ones when they end: SQLite runs one writer at a time anyway."""


class LentConnection:
    """One connection and its thread. Piccolo's transaction sends it BEGIN, COMMIT, ROLLBACK
    and savepoints through :meth:`execute` and ends the loan with :meth:`close`; the engine
    sends it the transaction's statements."""

    def __init__(self, owner: LentConnections) -> None:
        self._owner = owner
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="sqlite-transaction")
        self._connection: sqlite3.Connection | None = None
        self._failed = False
        self._lent = False

    async def execute(self, query: str, args: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The statement's rows, as Piccolo's own path returns them."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._run, query, list(args))

    def _run(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        if self._connection is None:
            self._connection = open_connection(self._owner.connection_kwargs)
        try:
            return rows_of(self._connection, query, args)
        except sqlite3.IntegrityError:
            raise
        except BaseException:
            self._failed = True
            raise

    @property
    def reusable(self) -> bool:
        """No statement failed (but by a constraint) and no transaction is left open on it."""
        return not self._failed and not (
            self._connection is not None and self._connection.in_transaction
        )

    async def close(self) -> None:
        """End the loan (a second call does nothing)."""
        if self._lent:
            self._lent = False
            self._owner.give_back(self)

    def discard(self) -> None:
        """Close the connection on its own thread and let the thread end."""
        connection, self._connection = self._connection, None
        if connection is not None:
            self._thread.submit(connection.close)
        self._thread.shutdown(wait=False)


class LentConnections:
    """The idle connections of one database; used from the event loop's thread only."""

    def __init__(self, connection_kwargs: dict[str, Any], idle: int = _IDLE) -> None:
        self.connection_kwargs = {**connection_kwargs, "check_same_thread": False}
        self._most_idle = idle
        self._idle: list[LentConnection] = []
        self._pid = os.getpid()

    def lend(self) -> LentConnection:
        if self._pid != os.getpid():
            # The parent's threads did not come along and SQLite forbids using its
            # connections here: leave them to the parent.
            self._pid = os.getpid()
            self._idle = []
        connection = self._idle.pop() if self._idle else LentConnection(self)
        connection._lent = True
        return connection

    def give_back(self, connection: LentConnection) -> None:
        if connection.reusable and self._pid == os.getpid() and len(self._idle) < self._most_idle:
            self._idle.append(connection)
        else:
            connection.discard()

    @property
    def idle(self) -> int:
        return len(self._idle)

    def close(self) -> None:
        """Close every idle connection (the app is stopping); a later transaction opens one."""
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.discard()
