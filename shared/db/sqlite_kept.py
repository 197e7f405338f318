"""SQLite statements outside a transaction, on connections kept open: one per worker thread.

Piccolo's SQLite engine opens a new aiosqlite connection for every statement it runs outside a
transaction: a new thread, a new file handle and the schema read again, which costs more than
the statement itself (a discussions widget page made six of them, 15 ms of CPU). Here such a
statement runs on one of a few threads, each with its own connection opened once, with the
engine's own connection settings (busy timeout, autocommit, Piccolo's type converters), so
callers see the same rows and the same errors as before.

Transactions borrow connections of their own (:mod:`.sqlite_lent`). A connection that raised
anything but a constraint violation is closed and replaced on the thread's next statement (a
full disk or a failed file must not stay in the pool). When nothing refers to the engine any
more, the threads end and their connections close with them; :meth:`KeptConnections.close`
closes them at once. A process forked from one that used them opens its own.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from piccolo.engine.sqlite import dict_factory

__all__ = ("KeptConnections", "open_connection", "rows_of")

_THREADS = 4
"""Statements of one database that may run at once; SQLite in WAL mode lets readers run
alongside the one writer."""


def open_connection(connection_kwargs: dict[str, Any]) -> sqlite3.Connection:
    """A connection as Piccolo's engine opens one: its settings, rows as dicts, foreign keys."""
    connection: sqlite3.Connection = sqlite3.connect(**connection_kwargs)
    connection.row_factory = dict_factory
    connection.execute("PRAGMA foreign_keys = 1")
    return connection


def rows_of(connection: sqlite3.Connection, query: str, args: list[Any]) -> list[dict[str, Any]]:
    """Run one statement and fetch its rows, closing its cursor."""
    cursor = connection.execute(query, args)
    try:
        rows: list[dict[str, Any]] = cursor.fetchall()
    finally:
        cursor.close()
    return rows


class KeptConnections:
    def __init__(self, connection_kwargs: dict[str, Any], threads: int = _THREADS) -> None:
        self._kwargs = {**connection_kwargs, "check_same_thread": False}
        self._size = threads
        self._threads: ThreadPoolExecutor | None = None
        self._pid = os.getpid()
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    async def run(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        """The statement's rows, as Piccolo's own path returns them."""
        if self._pid != os.getpid():
            self._forked()
        if self._threads is None:
            self._threads = ThreadPoolExecutor(self._size, thread_name_prefix="sqlite")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._threads, self._run, query, args)

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = open_connection(self._kwargs)
            self._local.connection = connection
            with self._lock:
                self._opened.append(connection)
        return connection

    def _run(self, query: str, args: list[Any]) -> list[dict[str, Any]]:
        connection = self._connection()
        try:
            rows = rows_of(connection, query, args)
            connection.commit()  # autocommit: a no-op unless a statement opened one
        except sqlite3.IntegrityError:
            raise
        except BaseException:
            self._discard(connection)
            raise
        return rows

    def _discard(self, connection: sqlite3.Connection) -> None:
        self._local.connection = None
        with self._lock:
            if connection in self._opened:
                self._opened.remove(connection)
        connection.close()

    def _forked(self) -> None:
        """In a child process: the parent's threads did not come along, and SQLite forbids
        using its connections here, so start afresh and leave them to the parent."""
        self._pid = os.getpid()
        self._threads = None
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened = []

    def close(self) -> None:
        """End the threads and close every connection (the app is stopping); a later
        statement opens them again."""
        threads, self._threads = self._threads, None
        if threads is not None:
            threads.shutdown(wait=True)
        with self._lock:
            opened, self._opened = self._opened, []
        for connection in opened:
            connection.close()
