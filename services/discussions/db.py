"""Database helpers shared by the features: write transactions and the dialect."""

from __future__ import annotations

import datetime as dt
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

__all__ = ("is_sqlite_table", "utcnow", "write_transaction")


def write_transaction(table: type[Table]) -> Any:
    """A write transaction on ``table``'s engine; SQLite takes its write lock up front so two
    writers never deadlock upgrading read locks."""
    engine = table._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def is_sqlite_table(table: type[Table]) -> bool:
    return isinstance(table._meta.db, SQLiteEngine)


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
