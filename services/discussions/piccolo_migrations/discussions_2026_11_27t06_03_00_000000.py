"""One cosignature per witness and checkpoint, which Piccolo columns cannot declare."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from shared.log.tables import COSIGNATURE_INDEX

ID = "2026-11-27T06:03:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "cosignature index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="discussions", description=DESCRIPTION)

    async def create_index() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(COSIGNATURE_INDEX)

    manager.add_raw(create_index)
    return manager
