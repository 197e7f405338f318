"""Composite and partial indexes of the ledger tables, which Piccolo columns cannot declare."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from shared.log.tables import INDEXES

ID = "2026-11-25T14:20:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger indexes"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="polls", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
