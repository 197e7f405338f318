"""Every Piccolo table of the witness, in one tuple for migrations."""

from piccolo.table import Table

from services.witness.cosigning.tables import make_witness_tables

__all__ = ("TABLES",)

TABLES: tuple[type[Table], ...] = make_witness_tables().all()
"""The classes Piccolo's migration commands read; the running app makes its own."""
