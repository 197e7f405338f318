from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Bytea
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-07T05:02:57:336751"
VERSION = "1.38.0"
DESCRIPTION = "answers by municipality and age band, suppressed"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="polls", description=DESCRIPTION
    )

    manager.add_column(
        table_class_name="Poll",
        tablename="poll",
        column_name="answer_breakdown",
        db_column_name="answer_breakdown",
        column_class_name="Bytea",
        column_class=Bytea,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
