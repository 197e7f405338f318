"""The participation UNIQUE constraint (poll, voter tag), which Piccolo columns cannot declare."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from services.polls.casting.tables import UNIQUE_PARTICIPATION

ID = "2026-11-25T14:22:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "participation unique (poll_id, voter_tag)"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="polls", description=DESCRIPTION)

    async def create_indexes() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(UNIQUE_PARTICIPATION)

    manager.add_raw(create_indexes)
    return manager
