"""Persistence of the ballot and comment logs: entries, tree nodes, heads, checkpoints.

Every service that keeps logs calls :func:`make_log_tables` once, so its table classes
bind to its own database engine. Entries carry a random id and no timestamp finer than a
minute, so nothing in a row orders or dates a ballot more precisely than its leaf index.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from piccolo.columns import UUID, BigInt, Boolean, Bytea, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("COSIGNATURE_INDEX", "INDEXES", "LogTables", "make_log_tables")

# Composite and partial indexes Piccolo columns cannot declare; migrations create them with
# this exact SQL, which both SQLite and PostgreSQL accept.
INDEXES: tuple[str, ...] = (
    "CREATE INDEX IF NOT EXISTS log_entry_by_index ON log_entry (log_id, leaf_index)",
    "CREATE INDEX IF NOT EXISTS log_entry_pending ON log_entry (log_id) WHERE leaf_index IS NULL",
    "CREATE UNIQUE INDEX IF NOT EXISTS log_node_by_id ON log_node (log_id, level, idx)",
    "CREATE INDEX IF NOT EXISTS log_checkpoint_by_size ON log_checkpoint (log_id, size)",
)
COSIGNATURE_INDEX = (
    "CREATE UNIQUE INDEX IF NOT EXISTS log_cosignature_once "
    "ON log_cosignature (log_id, size, witness)"
)
"""One cosignature per witness and checkpoint; added by the cosignatures migration."""


@dataclass(frozen=True, slots=True)
class LogTables:
    # Typed Any: the classes are made per service at run time, so their columns are
    # unknown to the type checker.
    entry: Any
    node: Any
    head: Any
    checkpoint: Any
    cosignature: Any

    def all(self) -> tuple[type[Table], ...]:
        return (self.entry, self.node, self.head, self.checkpoint, self.cosignature)


def make_log_tables() -> LogTables:
    class LogEntry(Table, tablename="log_entry"):
        """One entry of a log (a ballot or a comment) in its canonical bytes."""

        id = UUID(primary_key=True, default=uuid.uuid4, help_text="Random: reveals no order.")
        log_id = Varchar(length=64, help_text="The poll or comment period the entry belongs to.")
        entry_hash = Bytea(unique=True, help_text="RFC 9162 leaf hash of the entry bytes.")
        entry = Bytea(help_text="Canonical entry bytes exactly as hashed.")
        leaf_index = BigInt(null=True, default=None, help_text="Set by the integrator.")
        received_minute = Timestamptz(help_text="Acceptance time truncated to the minute.")

    class LogNode(Table, tablename="log_node"):
        """Hash of one complete subtree (level, idx) of a log's Merkle tree."""

        log_id = Varchar(length=64)
        level = Integer(help_text="0 for leaves.")
        idx = BigInt(help_text="Index of the subtree among those of its level.")
        hash = Bytea()

    class LogHead(Table, tablename="log_head"):
        """The integrated size and root of each log; the integrator's compare-and-set point."""

        log_id = Varchar(length=64, primary_key=True)
        size = BigInt(default=0)
        root = Bytea()
        closed = Boolean(default=False, help_text="Set once the log accepts no more entries.")

    class LogCheckpoint(Table, tablename="log_checkpoint"):
        """Every signed checkpoint ever published for a log, kept for consistency audits."""

        log_id = Varchar(length=64)
        size = BigInt()
        root = Bytea()
        note = Text(help_text="The C2SP signed note, verbatim.")
        signed_at = Timestamptz()

    class LogCosignature(Table, tablename="log_cosignature"):
        """A witness's cosignature of one checkpoint (C2SP cosignature/v1 signature line)."""

        log_id = Varchar(length=64)
        size = BigInt(help_text="Tree size of the cosigned checkpoint.")
        witness = Varchar(length=200, help_text="The witness key's name+hexid.")
        line = Text(help_text="The signature line, verbatim, to append to the checkpoint note.")

    return LogTables(
        entry=LogEntry,
        node=LogNode,
        head=LogHead,
        checkpoint=LogCheckpoint,
        cosignature=LogCosignature,
    )
