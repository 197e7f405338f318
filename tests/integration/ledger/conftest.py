"""A LedgerStore on a fresh, migrated polls database (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from services.polls.tables import LEASE, LEDGER, TABLES
from shared.db.engine import bind_tables, create_engine, is_sqlite
from shared.ledger.store import LedgerStore
from tests.conftest import DatabaseFactory


@pytest.fixture
async def store(database_url: DatabaseFactory) -> AsyncIterator[LedgerStore]:
    engine = create_engine(database_url("polls"))
    bind_tables(TABLES, engine)
    if not is_sqlite(engine):
        await engine.start_connection_pool(min_size=1, max_size=8)  # type: ignore[no-untyped-call,call-arg]
    yield LedgerStore(LEDGER, engine)
    if not is_sqlite(engine):
        await engine.close_connection_pool()  # type: ignore[no-untyped-call]


@pytest.fixture
def lease_table() -> object:
    return LEASE
