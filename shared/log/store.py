"""A log's storage: entries in, leaf indices and tree nodes out, proofs served from nodes.

The tree maths is in :mod:`shared.log.merkle`; this module only reads and writes rows.
Proofs read ``O(log n)`` stored nodes and never rehash the log.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from piccolo.engine.base import Engine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from shared.log.merkle import EMPTY_ROOT, NodeID, ProofError, leaf_hash
from shared.log.tables import LogTables
from shared.log.tree import (
    append_leaves_async,
    consistency_proof_async,
    inclusion_proof_async,
)

__all__ = ("Head", "Inclusion", "LogClosedError", "LogStore", "UnknownEntryError")


class UnknownEntryError(LookupError):
    """No entry with that hash is in the log (or it is not integrated yet)."""


class LogClosedError(RuntimeError):
    """The log was closed: it accepts no more entries."""


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    root: bytes


@dataclass(frozen=True, slots=True)
class Inclusion:
    leaf_index: int
    tree_size: int
    proof: list[bytes]


# Rows per multi-row INSERT on SQLite: 5 parameters each, far under its bound-parameter limit.
_SQLITE_ROWS = 500
_ENTRY_COLUMNS = "log_entry (id, log_id, entry_hash, entry, received_minute)"
# PostgreSQL: arrays through unnest, so the text (prepared once) fits every batch size.
_INSERT_ARRAYS = (
    "INSERT INTO log_entry (id, log_id, entry_hash, entry, received_minute) "
    "SELECT * FROM unnest({}::uuid[], {}::varchar[], {}::bytea[], {}::bytea[], {}::timestamptz[])"
)


def _minute(now: dt.datetime) -> dt.datetime:
    return now.replace(second=0, microsecond=0)


class LogStore:
    """All logs of one service, in that service's database."""

    def __init__(self, tables: LogTables, engine: Engine) -> None:  # type: ignore[type-arg]
        self.t = tables
        self.engine = engine
        self._sqlite = isinstance(engine, SQLiteEngine)

    @property
    def on_sqlite(self) -> bool:
        return self._sqlite

    def transaction(self) -> Any:
        """A write transaction; SQLite takes its write lock up front to avoid upgrade deadlocks."""
        if self._sqlite:
            return self.engine.transaction(transaction_type=TransactionType.immediate)
        return self.engine.transaction()

    # --- writing -----------------------------------------------------------------------

    async def add_entry(self, log_id: str, entry: bytes, now: dt.datetime) -> bytes:
        """Insert an entry (inside the caller's transaction, if any); returns its leaf hash."""
        digest = leaf_hash(entry)
        await self.insert_entries([(log_id, digest, entry, now)])
        return digest

    async def add_entries(self, entries: Sequence[tuple[str, bytes, dt.datetime]]) -> list[bytes]:
        """Insert many ``(log id, entry bytes, accepted at)`` in one statement (inside the
        caller's transaction, if any); returns their leaf hashes, in order.

        The same rows as :meth:`add_entry` one by one, in one round trip: on PostgreSQL the
        statement text does not depend on the batch size (arrays through ``unnest``), so the
        driver prepares it once per connection.
        """
        digests = [leaf_hash(entry) for _, entry, _ in entries]
        await self.insert_entries(
            [
                (log_id, digest, entry, now)
                for (log_id, entry, now), digest in zip(entries, digests, strict=True)
            ]
        )
        return digests

    async def insert_entries(
        self, entries: Sequence[tuple[str, bytes, bytes, dt.datetime]]
    ) -> None:
        """:meth:`add_entries` of ``(log id, leaf hash, entry bytes, accepted at)`` whose
        leaf hashes the caller computed already."""
        if not entries:
            return
        ids = [uuid.uuid4() for _ in entries]
        minutes = [_minute(now) for _, _, _, now in entries]
        if not self._sqlite:
            await self.t.entry.raw(
                _INSERT_ARRAYS,
                ids,
                [log_id for log_id, _, _, _ in entries],
                [digest for _, digest, _, _ in entries],
                [entry for _, _, entry, _ in entries],
                minutes,
            )
            return
        rows = [
            (row_id, log_id, digest, entry, minute)
            for row_id, (log_id, digest, entry, _), minute in zip(
                ids, entries, minutes, strict=True
            )
        ]
        for start in range(0, len(rows), _SQLITE_ROWS):
            part = rows[start : start + _SQLITE_ROWS]
            values = ", ".join(["({}, {}, {}, {}, {})"] * len(part))
            await self.t.entry.raw(
                f"INSERT INTO {_ENTRY_COLUMNS} VALUES {values}",  # noqa: S608 - only placeholders
                *(value for row in part for value in row),
            )

    async def open_log(self, log_id: str) -> None:
        """Create the log's head row (idempotent)."""
        exists = await self.t.head.exists().where(self.t.head.log_id == log_id)
        if not exists:
            await self.t.head.insert(self.t.head(log_id=log_id, size=0, root=EMPTY_ROOT))

    async def close_log(self, log_id: str) -> None:
        await self.t.head.update({self.t.head.closed: True}).where(self.t.head.log_id == log_id)

    async def closed(self, log_id: str) -> bool | None:
        """Whether the log was closed; None if it was never opened (reading creates nothing)."""
        rows = await self.t.head.select(self.t.head.closed).where(self.t.head.log_id == log_id)
        return bool(rows[0]["closed"]) if rows else None

    async def open_logs(self) -> list[str]:
        """Every log opened and not closed yet."""
        rows = await self.t.head.select(self.t.head.log_id).where(
            self.t.head.closed == False  # noqa: E712 - a column comparison, not a truth test
        )
        return [str(r["log_id"]) for r in rows]

    # --- integration -------------------------------------------------------------------

    async def pending_logs(self) -> list[str]:
        rows = await self.t.entry.raw(
            "SELECT DISTINCT log_id FROM log_entry WHERE leaf_index IS NULL"
        )
        return [str(r["log_id"]) for r in rows]

    async def has_pending(self, log_id: str) -> bool:
        rows = await self.t.entry.raw(
            "SELECT 1 FROM log_entry WHERE log_id = {} AND leaf_index IS NULL LIMIT 1", log_id
        )
        return bool(rows)

    async def integrate(self, log_id: str, max_batch: int = 5000) -> Head | None:
        """Give the next committed entries leaf indices and store the new tree nodes.

        Entries of one batch are ordered by their hash, which the random nonce makes
        random, so the index reveals arrival order only to batch (sub-second) precision.
        Returns the new head, or None if nothing was pending. A compare-and-set on the
        head makes a second, stale integrator fail instead of forking the tree.
        """
        integrated = await self.integrate_batch(log_id, max_batch)
        return integrated[0] if integrated is not None else None

    async def integrate_batch(
        self, log_id: str, max_batch: int = 5000
    ) -> tuple[Head, list[bytes]] | None:
        """:meth:`integrate`, also returning the leaf hashes it integrated, in index order."""
        async with self.transaction():
            pending = await self.t.entry.raw(
                "SELECT entry_hash FROM log_entry WHERE log_id = {} AND leaf_index IS NULL "
                "ORDER BY entry_hash LIMIT {}",
                log_id,
                max_batch,
            )
            if not pending:
                return None
            size = int((await self._head_row(log_id))["size"])
            leaves = [bytes(r["entry_hash"]) for r in pending]
            new_size, root = await append_leaves_async(_LogNodes(self, log_id), size, leaves)
            await self._assign_indices(leaves, size)
            updated = await self.t.head.raw(
                "UPDATE log_head SET size = {}, root = {} WHERE log_id = {} AND size = {} "
                "RETURNING size",
                new_size,
                root,
                log_id,
                size,
            )
            if not updated:
                raise RuntimeError(f"log {log_id}: head moved during integration; retry")
            return Head(size=new_size, root=root), leaves

    async def _assign_indices(self, leaves: list[bytes], first: int) -> None:
        if self._sqlite:
            chunk = 5000
            for start in range(0, len(leaves), chunk):
                part = leaves[start : start + chunk]
                values = ", ".join(["({}, {})"] * len(part))
                args: list[object] = []
                for offset, digest in enumerate(part):
                    args += [digest, first + start + offset]
                await self.t.entry.raw(
                    f"WITH v(h, i) AS (VALUES {values}) "  # noqa: S608 - only placeholders
                    "UPDATE log_entry SET leaf_index = v.i FROM v WHERE log_entry.entry_hash = v.h",
                    *args,
                )
        else:
            await self.t.entry.raw(
                "UPDATE log_entry SET leaf_index = v.i FROM "
                "unnest({}::bytea[], {}::bigint[]) AS v(h, i) WHERE log_entry.entry_hash = v.h",
                leaves,
                list(range(first, first + len(leaves))),
            )

    # --- reading -----------------------------------------------------------------------

    async def _head_row(self, log_id: str) -> dict[str, Any]:
        rows = await self.t.head.select().where(self.t.head.log_id == log_id)
        if not rows:
            await self.open_log(log_id)
            return {"size": 0, "root": EMPTY_ROOT, "closed": False}
        return dict(rows[0])

    async def head(self, log_id: str) -> Head:
        row = await self._head_row(log_id)
        return Head(size=int(row["size"]), root=bytes(row["root"]))

    async def inclusion(
        self, log_id: str, entry_hash: bytes, tree_size: int | None = None
    ) -> Inclusion:
        rows = await self.t.entry.select(self.t.entry.leaf_index).where(
            (self.t.entry.log_id == log_id) & (self.t.entry.entry_hash == entry_hash)
        )
        if not rows or rows[0]["leaf_index"] is None:
            raise UnknownEntryError("no integrated entry with that hash in this log")
        index = int(rows[0]["leaf_index"])
        size = tree_size if tree_size is not None else (await self.head(log_id)).size
        if index >= size:
            raise UnknownEntryError(f"entry {index} is not in the tree of size {size}")
        proof = await inclusion_proof_async(_LogNodes(self, log_id), index, size)
        return Inclusion(leaf_index=index, tree_size=size, proof=proof)

    async def consistency(self, log_id: str, size1: int, size2: int) -> list[bytes]:
        current = (await self.head(log_id)).size
        if size2 > current:
            raise ProofError(f"size2 {size2} is beyond the log's size {current}")
        return await consistency_proof_async(_LogNodes(self, log_id), size1, size2)

    async def entries(self, log_id: str, start: int, end: int) -> list[bytes]:
        """Entry bytes with leaf indices in ``[start, end)``, in index order."""
        rows = await self.t.entry.raw(
            "SELECT entry FROM log_entry WHERE log_id = {} AND leaf_index >= {} "
            "AND leaf_index < {} ORDER BY leaf_index",
            log_id,
            start,
            end,
        )
        return [bytes(r["entry"]) for r in rows]

    async def entry_count(self, log_id: str) -> int:
        """Accepted entries, integrated or not."""
        return int(await self.t.entry.count().where(self.t.entry.log_id == log_id))

    async def find_by_hash_range(self, log_id: str, low: bytes, high: bytes) -> list[bytes]:
        """Entry hashes of the log within ``[low, high]`` (tracking-code lookups)."""
        rows = await self.t.entry.raw(
            "SELECT entry_hash FROM log_entry WHERE log_id = {} AND entry_hash >= {} "
            "AND entry_hash <= {} LIMIT 5",
            log_id,
            low,
            high,
        )
        return [bytes(r["entry_hash"]) for r in rows]

    # --- checkpoints -------------------------------------------------------------------

    async def save_checkpoint(self, log_id: str, head: Head, note: str, now: dt.datetime) -> None:
        """Store a signed checkpoint; its time is kept to the minute, like every time that
        touches entries (a ballot's batch is dated no finer than its minute)."""
        await self.t.checkpoint.insert(
            self.t.checkpoint(
                log_id=log_id, size=head.size, root=head.root, note=note, signed_at=_minute(now)
            )
        )

    async def latest_checkpoint(self, log_id: str) -> tuple[int, str] | None:
        rows = (
            await self.t.checkpoint.select(self.t.checkpoint.size, self.t.checkpoint.note)
            .where(self.t.checkpoint.log_id == log_id)
            .order_by(self.t.checkpoint.size, ascending=False)
            .limit(1)
        )
        return (int(rows[0]["size"]), str(rows[0]["note"])) if rows else None

    async def checkpoint_of_size(self, log_id: str, size: int) -> str | None:
        """The signed checkpoint of exactly this size (through the (log, size) index)."""
        c = self.t.checkpoint
        rows = await c.select(c.note).where((c.log_id == log_id) & (c.size == size)).limit(1)
        return str(rows[0]["note"]) if rows else None

    # --- witnesses' cosignatures ---------------------------------------------------------

    async def head_sizes(self) -> dict[str, int]:
        """Every log's integrated size."""
        rows = await self.t.head.select(self.t.head.log_id, self.t.head.size)
        return {str(r["log_id"]): int(r["size"]) for r in rows}

    async def cosigned_sizes(self, witness: str) -> dict[str, int]:
        """The largest checkpoint size of each log this witness cosigned."""
        rows = await self.t.cosignature.raw(
            "SELECT log_id, MAX(size) AS size FROM log_cosignature WHERE witness = {} "
            "GROUP BY log_id",
            witness,
        )
        return {str(r["log_id"]): int(r["size"]) for r in rows}

    async def add_cosignature(self, log_id: str, size: int, witness: str, line: str) -> None:
        await self.t.cosignature.raw(
            "INSERT INTO log_cosignature (log_id, size, witness, line) VALUES ({}, {}, {}, {}) "
            "ON CONFLICT (log_id, size, witness) DO NOTHING",
            log_id,
            size,
            witness,
            line,
        )

    async def cosignatures_by_size(self, log_id: str) -> dict[int, list[str]]:
        """Every cosignature line of the log, by checkpoint size (for its board)."""
        c = self.t.cosignature
        found: dict[int, list[str]] = {}
        for r in await c.select(c.size, c.line).where(c.log_id == log_id):
            found.setdefault(int(r["size"]), []).append(str(r["line"]))
        return found

    async def cosignatures(self, log_id: str, size: int) -> list[str]:
        """The witnesses' signature lines on the checkpoint of this size."""
        c = self.t.cosignature
        rows = await c.select(c.line).where((c.log_id == log_id) & (c.size == size))
        return [str(r["line"]) for r in rows]

    async def checkpoints(self, log_id: str) -> list[str]:
        return [note for _, note, _ in await self.checkpoint_rows(log_id)]

    async def checkpoint_rows(self, log_id: str) -> list[tuple[int, str, dt.datetime]]:
        """(size, note, signed at) of every checkpoint of the log, smallest first."""
        c = self.t.checkpoint
        rows = (
            await c.select(c.size, c.note, c.signed_at).where(c.log_id == log_id).order_by(c.size)
        )
        return [(int(r["size"]), str(r["note"]), r["signed_at"]) for r in rows]


class _LogNodes:
    """One log's stored tree nodes, as the tree maths' ``AsyncNodeStore``."""

    _READ_CHUNK = 200  # node ids per SELECT; a proof needs at most ~2·log2(n)
    _WRITE_CHUNK = 2000  # rows per INSERT, under SQLite's bound-parameter limit

    def __init__(self, store: LogStore, log_id: str) -> None:
        self._node = store.t.node
        self._log_id = log_id
        self._sqlite = store._sqlite

    async def get_many(self, ids: Sequence[NodeID]) -> Mapping[NodeID, bytes]:
        found: dict[NodeID, bytes] = {}
        for start in range(0, len(ids), self._READ_CHUNK):
            part = ids[start : start + self._READ_CHUNK]
            where = " OR ".join(["(level = {} AND idx = {})"] * len(part))
            args: list[object] = [self._log_id]
            for level, idx in part:
                args += [level, idx]
            rows = await self._node.raw(
                f"SELECT level, idx, hash FROM log_node WHERE log_id = {{}} AND ({where})",  # noqa: S608 - only placeholders
                *args,
            )
            found.update({(int(r["level"]), int(r["idx"])): bytes(r["hash"]) for r in rows})
        return found

    async def put_many(self, nodes: Iterable[tuple[NodeID, bytes]]) -> None:
        if not self._sqlite:
            # One statement of fixed text (prepared once) for any number of nodes.
            listed = list(nodes)
            await self._node.raw(
                "INSERT INTO log_node (log_id, level, idx, hash) "
                "SELECT {}::varchar, * FROM unnest({}::integer[], {}::bigint[], {}::bytea[])",
                self._log_id,
                [level for (level, _), _ in listed],
                [idx for (_, idx), _ in listed],
                [h for _, h in listed],
            )
            return
        # Raw rows, not Piccolo instances: building and bundling one Table object per node
        # cost more than SQLite's insert itself (17 ms per integration round of a busy poll).
        rows = [(self._log_id, level, idx, h) for (level, idx), h in nodes]
        for start in range(0, len(rows), self._WRITE_CHUNK):
            part = rows[start : start + self._WRITE_CHUNK]
            values = ", ".join(["({}, {}, {}, {})"] * len(part))
            await self._node.raw(
                f"INSERT INTO log_node (log_id, level, idx, hash) VALUES {values}",  # noqa: S608 - only placeholders
                *(value for row in part for value in row),
            )
