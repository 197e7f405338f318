"""SQLite transactions run on connections kept open and lent to one transaction at a time: the
same commits and rollbacks as Piccolo's own, a connection that failed or was left inside a
transaction never lent again, concurrent writers queued on the lock, not deadlocked."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from piccolo.engine.sqlite import SQLiteTransaction, TransactionType
from piccolo.querystring import QueryString

from shared.db.engine import _SQLiteEngine
from shared.db.sqlite_lent import LentConnections
from tests.harness.fork import exit_code_in_forked_child


def _engine(tmp_path: Path, timeout: float = 30) -> _SQLiteEngine:
    # As create_engine makes it, with a busy timeout of the test's choosing.
    return _SQLiteEngine(path=str(tmp_path / "lent.sqlite"), timeout=timeout, isolation_level=None)


async def _marked(engine: _SQLiteEngine) -> bool:
    """Whether the connection the next transaction gets holds this test's TEMP table (which
    lives only in the connection that made it)."""
    async with engine.transaction():
        rows = await engine.run_ddl(
            "SELECT count(*) AS n FROM sqlite_temp_master WHERE name = 'marker'"
        )
    return bool(rows[0]["n"])


async def test_a_transaction_gets_the_connection_the_last_one_gave_back(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    await engine.run_ddl("CREATE TABLE item (n INTEGER PRIMARY KEY)")
    async with engine.transaction(transaction_type=TransactionType.immediate):
        await engine.run_ddl("CREATE TEMP TABLE marker (n INTEGER)")
        await engine.run_ddl("INSERT INTO item VALUES (1)")
    assert await _marked(engine)
    assert await engine.run_ddl("SELECT n FROM item") == [{"n": 1}]
    await engine.close_connection_pool()
    assert not await _marked(engine)  # closed with the pool; a new one opened
    await engine.close_connection_pool()


async def test_a_rolled_back_transaction_changes_nothing_and_its_connection_serves_again(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    await engine.run_ddl("CREATE TABLE item (n INTEGER PRIMARY KEY)")
    await engine.run_ddl("INSERT INTO item VALUES (1)")

    async def two_rows_one_refused() -> None:
        async with engine.transaction(transaction_type=TransactionType.immediate):
            await engine.run_ddl("CREATE TEMP TABLE marker (n INTEGER)")
            await engine.run_ddl("INSERT INTO item VALUES (2)")
            await engine.run_ddl("INSERT INTO item VALUES (1)")  # refused by the primary key

    with pytest.raises(sqlite3.IntegrityError):
        await two_rows_one_refused()
    assert await engine.run_ddl("SELECT n FROM item") == [{"n": 1}]
    # A refused row is the data's fault, not the connection's: it is lent again. (The TEMP
    # table went with the rollback, so mark the connection again outside the failure.)
    async with engine.transaction():
        await engine.run_ddl("CREATE TEMP TABLE marker (n INTEGER)")
    with pytest.raises(sqlite3.IntegrityError):
        async with engine.transaction():
            await engine.run_ddl("INSERT INTO item VALUES (1)")
    assert await _marked(engine)
    await engine.close_connection_pool()


async def test_a_connection_whose_statement_failed_is_closed_not_lent_again(
    tmp_path: Path,
) -> None:
    engine = _engine(tmp_path)
    async with engine.transaction():
        await engine.run_ddl("CREATE TEMP TABLE marker (n INTEGER)")
    assert await _marked(engine)
    with pytest.raises(sqlite3.OperationalError):
        async with engine.transaction():
            await engine.run_ddl("SELECT * FROM no_such_table")
    assert not await _marked(engine)
    await engine.close_connection_pool()


async def test_a_connection_given_back_inside_a_transaction_is_closed_and_holds_no_lock(
    tmp_path: Path,
) -> None:
    lent = LentConnections(
        {"database": str(tmp_path / "raw.sqlite"), "timeout": 5, "isolation_level": None}
    )
    setup, stuck = lent.lend(), lent.lend()
    await setup.execute("CREATE TABLE item (n INTEGER)")
    await setup.close()
    await stuck.execute("BEGIN IMMEDIATE")
    await stuck.execute("INSERT INTO item VALUES (1)")
    await stuck.close()  # as when COMMIT itself failed: the transaction is still open
    assert lent.idle == 1  # only the set-up connection went back
    other = lent.lend()
    assert other is setup
    # The abandoned transaction was rolled back with its connection, so its write lock is free.
    await other.execute("BEGIN IMMEDIATE")
    await other.execute("INSERT INTO item VALUES (2)")
    await other.execute("COMMIT")
    assert await other.execute("SELECT n FROM item") == [{"n": 2}]
    await other.close()
    await other.close()  # a second close of one loan does nothing
    assert lent.idle == 1
    lent.close()


async def test_concurrent_writers_queue_on_the_lock_and_all_commit(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    await engine.run_ddl("PRAGMA journal_mode=WAL")
    await engine.run_ddl("CREATE TABLE counter (n INTEGER)")
    await engine.run_ddl("INSERT INTO counter VALUES (0)")

    async def add_one() -> None:
        async with engine.transaction(transaction_type=TransactionType.immediate):
            (row,) = await engine.run_ddl("SELECT n FROM counter")
            await asyncio.sleep(0)  # let the others start and wait for the lock meanwhile
            await engine.run_querystring(QueryString("UPDATE counter SET n = {}", row["n"] + 1))

    # More at once than connections are kept idle: each waits on its own thread.
    await asyncio.wait_for(asyncio.gather(*(add_one() for _ in range(30))), 60)
    assert await engine.run_ddl("SELECT n FROM counter") == [{"n": 30}]
    await engine.close_connection_pool()


def _transaction_threads() -> int:
    return sum(1 for t in threading.enumerate() if t.name.startswith("sqlite-transaction"))


async def test_a_transaction_that_cannot_begin_gives_its_connection_back(tmp_path: Path) -> None:
    engine = _engine(tmp_path, timeout=0.05)
    await engine.run_ddl("CREATE TABLE item (n INTEGER)")
    before = _transaction_threads()
    holder = sqlite3.connect(tmp_path / "lent.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process's writer holds the lock
    refused: list[
        SQLiteTransaction
    ] = []  # kept, so that only closing (not the garbage collector) can end a thread
    for _ in range(10):
        refused.append(engine.transaction(transaction_type=TransactionType.immediate))
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            async with refused[-1]:
                pass
    holder.execute("ROLLBACK")
    holder.close()
    # Each refused BEGIN closed its connection and let its thread end.
    for _ in range(100):
        if _transaction_threads() <= before:
            break
        await asyncio.sleep(0.05)
    assert _transaction_threads() <= before
    async with engine.transaction(transaction_type=TransactionType.immediate):
        await engine.run_ddl("INSERT INTO item VALUES (1)")
    assert await engine.run_ddl("SELECT n FROM item") == [{"n": 1}]
    await engine.close_connection_pool()


def test_a_forked_child_opens_connections_of_its_own(tmp_path: Path) -> None:
    lent = LentConnections({"database": str(tmp_path / "fork.sqlite"), "isolation_level": None})

    async def the_table_is_readable() -> bool:
        connection = lent.lend()
        try:
            return await connection.execute("SELECT count(*) AS n FROM t") == [{"n": 0}]
        finally:
            await connection.close()

    async def create() -> None:
        connection = lent.lend()
        await connection.execute("CREATE TABLE t (n INTEGER)")
        await connection.close()

    asyncio.run(create())  # the parent's idle connection and its thread
    assert lent.idle == 1
    assert exit_code_in_forked_child(the_table_is_readable) == 0
    lent.close()
