"""A LogStore on a fresh, migrated polls database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.polls.tables import LEASE, LOG_TABLES, TABLES
from shared.db.engine import bind_tables, create_engine, is_sqlite
from shared.log.store import LogStore
from tests.conftest import DatabaseFactory


@pytest.fixture
async def store(database_url: DatabaseFactory) -> AsyncIterator[LogStore]:
    engine = create_engine(database_url("polls"))
    bind_tables(TABLES, engine)
    if not is_sqlite(engine):
        await engine.start_connection_pool(min_size=1, max_size=8)  # type: ignore[no-untyped-call,call-arg]
    yield LogStore(LOG_TABLES, engine)
    if not is_sqlite(engine):
        await engine.close_connection_pool()  # type: ignore[no-untyped-call]


@pytest.fixture
def lease_table() -> object:
    return LEASE
