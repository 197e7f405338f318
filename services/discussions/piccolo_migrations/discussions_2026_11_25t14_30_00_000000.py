"""Constraints, indexes and full-text search of the discussions tables, per dialect.

PostgreSQL: a stored tsvector column (Russian configuration) over text and proposed wording,
with a GIN index. SQLite: an FTS5 table filled by a trigger when a comment is published.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

ID = "2026-11-25T14:30:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "discussions constraints, indexes and search"

COMMON = (
    "CREATE UNIQUE INDEX IF NOT EXISTS draft_version_number ON draft_version (draft, number)",
    "CREATE INDEX IF NOT EXISTS draft_section_order ON draft_section (version, position)",
    "CREATE INDEX IF NOT EXISTS comment_public ON comment (period, status, submitted_at, id)",
    "CREATE INDEX IF NOT EXISTS comment_public_section "
    "ON comment (period, status, section, submitted_at, id)",
    "CREATE INDEX IF NOT EXISTS comment_by_author ON comment (author, submitted_at, id)",
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox_message (next_attempt_at) "
    "WHERE delivered_at IS NULL",
    "CREATE INDEX IF NOT EXISTS period_due ON comment_period (status, starts_at, ends_at)",
)

POSTGRES = (
    "ALTER TABLE comment ADD COLUMN search tsvector GENERATED ALWAYS AS "
    "(to_tsvector('russian'::regconfig, text || ' ' || proposed_wording)) STORED",
    "CREATE INDEX IF NOT EXISTS comment_search ON comment USING GIN (search) "
    "WHERE status = 'published'",
)

SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS comment_fts USING fts5("
    "body, comment_id UNINDEXED, tokenize = 'unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS comment_fts_publish AFTER UPDATE OF status ON comment "
    "WHEN new.status = 'published' AND old.status <> 'published' BEGIN "
    "INSERT INTO comment_fts (body, comment_id) "
    "VALUES (new.text || ' ' || new.proposed_wording, new.id); END",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="discussions", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        dialect = SQLITE if isinstance(engine, SQLiteEngine) else POSTGRES
        for statement in (*COMMON, *dialect):
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
