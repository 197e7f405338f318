"""Indexes of the outbox and of the in-app list, which Piccolo columns cannot declare."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-07T05:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "outbox and notification indexes"

STATEMENTS = (
    "CREATE INDEX IF NOT EXISTS outbox_due ON outbox_message (next_attempt_at) "
    "WHERE delivered_at IS NULL",
    "CREATE INDEX IF NOT EXISTS notification_latest ON notification (sub, created_at)",
    "CREATE INDEX IF NOT EXISTS notification_pending_address "
    "ON notification_preferences (pending_since) WHERE pending_since IS NOT NULL",
)


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="polls", description=DESCRIPTION)

    async def create() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in STATEMENTS:
            await engine.run_ddl(statement)

    manager.add_raw(create)
    return manager
