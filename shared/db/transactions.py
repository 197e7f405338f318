"""Write transactions on a table's engine."""

from __future__ import annotations

from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

__all__ = ("write_transaction",)


def write_transaction(table: type[Table]) -> Any:
    """A write transaction on ``table``'s engine; SQLite takes its write lock up front so two
    writers never deadlock upgrading read locks."""
    engine = table._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()
