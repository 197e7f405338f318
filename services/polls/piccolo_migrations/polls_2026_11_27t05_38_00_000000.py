"""The ballot pool's index by poll, which Piccolo columns cannot declare by name."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from services.polls.casting.tables import POOL_INDEX

ID = "2026-11-27T05:38:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "ballot pool index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="polls", description=DESCRIPTION)

    async def create_index() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(POOL_INDEX)

    manager.add_raw(create_index)
    return manager
