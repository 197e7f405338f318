"""One comment per author's Idempotency-Key and period, which Piccolo columns cannot declare."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

from services.discussions.comments.tables import IDEMPOTENCY_INDEX

ID = "2026-11-27T07:40:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "comment idempotency index"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="discussions", description=DESCRIPTION)

    async def create_index() -> None:
        engine = engine_finder()
        assert engine is not None
        await engine.run_ddl(IDEMPOTENCY_INDEX)

    manager.add_raw(create_index)
    return manager
