"""The equivocation table's unique index, which Piccolo columns cannot declare."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from services.witness.cosigning.tables import INDEXES

ID = "2026-11-27T06:06:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "equivocation index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="witness", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        for statement in INDEXES:
            await engine.run_ddl(statement)

    manager.add_raw(create_indexes)
    return manager
