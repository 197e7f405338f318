"""Database engines: SQLite as the embedded default, PostgreSQL by URL."""

from shared.db.engine import bind_tables, create_engine, database_ping

__all__ = ("bind_tables", "create_engine", "database_ping")
