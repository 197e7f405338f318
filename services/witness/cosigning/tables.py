"""Persistence of the witness: the latest cosigned checkpoint of each log, and the evidence of
every split view it was shown.

:func:`make_witness_tables` makes fresh table classes per app, so that two witnesses (with two
databases) can run in one process, as tests of a quorum do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from piccolo.columns import BigInt, Bytea, Text, Timestamptz
from piccolo.table import Table

__all__ = ("INDEXES", "WitnessTables", "make_witness_tables")

INDEXES: tuple[str, ...] = (
    # One row of evidence per (log, size, offered root): a log that keeps resending its fork
    # does not grow the table.
    "CREATE UNIQUE INDEX IF NOT EXISTS equivocation_once "
    "ON equivocation (origin, size, offered_root)",
)
"""Indexes Piccolo columns cannot declare; the migrations create them with this exact SQL,
which both SQLite and PostgreSQL accept."""


@dataclass(frozen=True, slots=True)
class WitnessTables:
    # Typed Any: the classes are made at run time, so their columns are unknown to mypy.
    cosigned: Any
    equivocation: Any

    def all(self) -> tuple[type[Table], ...]:
        return (self.cosigned, self.equivocation)


def make_witness_tables() -> WitnessTables:
    class CosignedCheckpoint(Table, tablename="cosigned_checkpoint"):
        """The latest checkpoint cosigned for each log; the compare-and-set point of
        add-checkpoint. Its size never decreases."""

        origin = Text(primary_key=True, help_text="The log's origin line.")
        size = BigInt(help_text="Tree size of the latest cosigned checkpoint.")
        root = Bytea(help_text="Its root hash (32 bytes).")
        note = Text(help_text="The log's signed checkpoint, with the trusted log signatures.")
        cosignature = Text(help_text="This witness's signature line, as first given.")
        cosigned_at = Timestamptz()

    class Equivocation(Table, tablename="equivocation"):
        """Two checkpoints of one log and one size with different roots, both validly signed
        by the log: proof that the log showed two different trees."""

        origin = Text()
        size = BigInt()
        cosigned_root = Bytea(help_text="Root of the checkpoint this witness had cosigned.")
        cosigned_note = Text(help_text="That checkpoint, signed by the log.")
        offered_root = Bytea(help_text="Root of the conflicting checkpoint it was offered.")
        offered_note = Text(help_text="That checkpoint, signed by the log.")
        detected_at = Timestamptz()

    return WitnessTables(cosigned=CosignedCheckpoint, equivocation=Equivocation)
