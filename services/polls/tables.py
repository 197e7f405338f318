"""Every Piccolo table of the polls service, in one tuple for binding and migrations."""

from piccolo.table import Table

TABLES: tuple[type[Table], ...] = ()
