"""SQLite search index in submission order, with the filters inside it, kept in step with every
write to a comment; rebuilt from the published comments. PostgreSQL's generated ``search``
column needs nothing.
"""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder
from piccolo.engine.sqlite import SQLiteEngine

from services.discussions.search.sqlite_index import CREATE, DROP, REBUILD

ID = "2026-11-27T09:00:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "comment search index in submission order"


async def forwards() -> MigrationManager:
    manager = MigrationManager(migration_id=ID, app_name="discussions", description=DESCRIPTION)

    async def rebuild() -> None:
        engine = engine_finder()
        assert engine is not None
        if not isinstance(engine, SQLiteEngine):
            return
        for statement in (*DROP, *CREATE, *REBUILD):
            await engine.run_ddl(statement)

    manager.add_raw(rebuild)
    return manager
