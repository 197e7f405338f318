"""Every Piccolo table of the discussions service, in one tuple for binding and migrations."""

from piccolo.table import Table

TABLES: tuple[type[Table], ...] = ()
