"""SQLite statements outside a transaction run on connections kept open, not one per statement:
same rows and errors, a connection that failed replaced, all of them closed on request."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import pytest
from piccolo.querystring import QueryString

from shared.db.engine import create_engine
from shared.db.sqlite_kept import KeptConnections
from tests.harness.fork import exit_code_in_forked_child


def _kept(tmp_path: Path) -> KeptConnections:
    # One thread, so every statement meets the same connection if it is kept.
    return KeptConnections({"database": str(tmp_path / "kept.sqlite"), "isolation_level": None}, 1)


async def test_a_connection_serves_statement_after_statement(tmp_path: Path) -> None:
    kept = _kept(tmp_path)
    # A TEMP table lives only in the connection that made it.
    await kept.run("CREATE TEMP TABLE seen (n INTEGER)", [])
    await kept.run("INSERT INTO seen VALUES (?), (?)", [1, 2])
    assert await kept.run("SELECT n FROM seen ORDER BY n", []) == [{"n": 1}, {"n": 2}]
    kept.close()


async def test_a_failed_statement_replaces_the_connection_a_refused_row_does_not(
    tmp_path: Path,
) -> None:
    kept = _kept(tmp_path)
    await kept.run("CREATE TABLE one (n INTEGER PRIMARY KEY)", [])
    await kept.run("CREATE TEMP TABLE marker (n INTEGER)", [])
    await kept.run("INSERT INTO one VALUES (1)", [])
    with pytest.raises(sqlite3.IntegrityError):
        await kept.run("INSERT INTO one VALUES (1)", [])
    assert await kept.run("SELECT count(*) AS n FROM marker", []) == [{"n": 0}]

    with pytest.raises(sqlite3.OperationalError):
        await kept.run("SELECT * FROM no_such_table", [])
    with pytest.raises(sqlite3.OperationalError, match="no such table: marker"):
        await kept.run("SELECT count(*) FROM marker", [])
    assert await kept.run("SELECT n FROM one", []) == [{"n": 1}]
    kept.close()


async def test_closing_ends_every_connection_and_a_later_statement_opens_one_again(
    tmp_path: Path,
) -> None:
    kept = _kept(tmp_path)
    await kept.run("CREATE TEMP TABLE marker (n INTEGER)", [])
    kept.close()
    with pytest.raises(sqlite3.OperationalError, match="no such table: marker"):
        await kept.run("SELECT count(*) FROM marker", [])
    kept.close()


async def test_the_engine_runs_concurrent_statements_outside_transactions_on_kept_ones(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'engine.sqlite'}")
    await engine.run_ddl("PRAGMA journal_mode=WAL")
    await engine.run_ddl("CREATE TABLE item (n INTEGER PRIMARY KEY)")
    insert = "INSERT INTO item VALUES ({})"
    await asyncio.gather(*(engine.run_querystring(QueryString(insert, n)) for n in range(40)))
    rows = await engine.run_ddl("SELECT count(*) AS n FROM item")
    assert rows == [{"n": 40}]
    async with engine.transaction():  # a lent connection (sqlite_lent), committed as before
        await engine.run_ddl("INSERT INTO item VALUES (40)")
    assert await engine.run_ddl("SELECT max(n) AS n FROM item") == [{"n": 40}]
    await engine.close_connection_pool()  # type: ignore[no-untyped-call]


def test_a_forked_child_opens_connections_of_its_own(tmp_path: Path) -> None:
    kept = _kept(tmp_path)
    asyncio.run(kept.run("CREATE TABLE t (n INTEGER)", []))  # the parent's thread and connection

    async def the_table_is_readable() -> bool:
        return await kept.run("SELECT count(*) AS n FROM t", []) == [{"n": 0}]

    assert exit_code_in_forked_child(the_table_is_readable) == 0
    kept.close()
