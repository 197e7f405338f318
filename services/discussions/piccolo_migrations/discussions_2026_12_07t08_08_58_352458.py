"""The comment period's table classes are named ``CommentPeriod`` and ``CommentPeriodExtension``
(they were ``Period`` and ``PeriodExtension``); the tables keep their names, so nothing runs in
the database: the migration only tells Piccolo's history the classes' new names."""

from piccolo.apps.migrations.auto.migration_manager import MigrationManager

ID = "2026-12-07T08:08:58:352458"
VERSION = "1.38.0"
DESCRIPTION = "comment period table classes renamed"


class _ClassRenames(MigrationManager):
    """Renames whose table name does not change: no ``ALTER TABLE … RENAME`` to run."""

    async def _run_rename_tables(self, backwards: bool = False) -> None:
        if any(r.old_tablename != r.new_tablename for r in self.rename_tables):
            raise AssertionError("only class renames belong in this migration")


async def forwards() -> MigrationManager:
    manager = _ClassRenames(migration_id=ID, app_name="discussions", description=DESCRIPTION)
    for old, new, table in (
        ("Period", "CommentPeriod", "comment_period"),
        ("PeriodExtension", "CommentPeriodExtension", "comment_period_extension"),
    ):
        manager.rename_table(
            old_class_name=old,
            old_tablename=table,
            new_class_name=new,
            new_tablename=table,
            schema=None,
        )
    return manager
