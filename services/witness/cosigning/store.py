"""Reading and writing the witness's records; the only module that touches its tables.

Advancing a log is a compare-and-set in one statement: the row changes only if it still holds
the size and root the request was checked against, and a log seen for the first time is an
insert that a concurrent insert of the same origin makes a no-op. Whichever of two racing
requests writes second finds nothing to change, so the stored size never goes back.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from piccolo.engine.base import Engine

from services.witness.cosigning.tables import WitnessTables

__all__ = ("CosignedRecord", "EvidenceRecord", "WitnessStore")


class CosignedRecord(msgspec.Struct, frozen=True, kw_only=True):
    """The latest checkpoint this witness cosigned for one log."""

    origin: str
    size: int
    root: bytes
    note: str
    """The log's signed checkpoint (only the trusted log signatures)."""
    cosignature: str
    """The witness's signature line given when it was first cosigned."""
    cosigned_at: dt.datetime


class EvidenceRecord(msgspec.Struct, frozen=True, kw_only=True):
    """Two checkpoints of one log and size with different roots, both signed by the log."""

    id: int
    origin: str
    size: int
    cosigned_root: bytes
    cosigned_note: str
    offered_root: bytes
    offered_note: str
    detected_at: dt.datetime


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back naive (they were stored as UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


def _cosigned(row: dict[str, Any]) -> CosignedRecord:
    return CosignedRecord(
        origin=row["origin"],
        size=int(row["size"]),
        root=bytes(row["root"]),
        note=row["note"],
        cosignature=row["cosignature"],
        cosigned_at=_aware(row["cosigned_at"]),
    )


def _evidence(row: dict[str, Any]) -> EvidenceRecord:
    return EvidenceRecord(
        id=int(row["id"]),
        origin=row["origin"],
        size=int(row["size"]),
        cosigned_root=bytes(row["cosigned_root"]),
        cosigned_note=row["cosigned_note"],
        offered_root=bytes(row["offered_root"]),
        offered_note=row["offered_note"],
        detected_at=_aware(row["detected_at"]),
    )


_COSIGNED_COLUMNS = "origin, size, root, note, cosignature, cosigned_at"


class WitnessStore:
    """The witness's database: one row per followed log, and the evidence table."""

    def __init__(self, tables: WitnessTables, engine: Engine) -> None:  # type: ignore[type-arg]
        self.t = tables
        self.engine = engine

    async def latest(self, origin: str) -> CosignedRecord | None:
        rows = await self.t.cosigned.raw(
            f"SELECT {_COSIGNED_COLUMNS} FROM cosigned_checkpoint WHERE origin = {{}}",  # noqa: S608 - constant columns
            origin,
        )
        return _cosigned(rows[0]) if rows else None

    async def create(self, record: CosignedRecord) -> bool:
        """Store the first checkpoint of a log; False if another request stored one first."""
        rows = await self.t.cosigned.raw(
            f"INSERT INTO cosigned_checkpoint ({_COSIGNED_COLUMNS}) "  # noqa: S608 - constant columns
            "VALUES ({}, {}, {}, {}, {}, {}) ON CONFLICT (origin) DO NOTHING RETURNING origin",
            record.origin,
            record.size,
            record.root,
            record.note,
            record.cosignature,
            record.cosigned_at,
        )
        return bool(rows)

    async def advance(self, seen: CosignedRecord, record: CosignedRecord) -> bool:
        """Replace ``seen`` by ``record``; False if the row no longer holds ``seen``'s size
        and root (another request advanced the log meanwhile)."""
        rows = await self.t.cosigned.raw(
            "UPDATE cosigned_checkpoint SET size = {}, root = {}, note = {}, cosignature = {}, "
            "cosigned_at = {} WHERE origin = {} AND size = {} AND root = {} RETURNING origin",
            record.size,
            record.root,
            record.note,
            record.cosignature,
            record.cosigned_at,
            seen.origin,
            seen.size,
            seen.root,
        )
        return bool(rows)

    async def keep_evidence(
        self, cosigned: CosignedRecord, offered_root: bytes, offered_note: str, now: dt.datetime
    ) -> None:
        """Record a split view (once per log, size and offered root)."""
        await self.t.equivocation.raw(
            "INSERT INTO equivocation (origin, size, cosigned_root, cosigned_note, "
            "offered_root, offered_note, detected_at) VALUES ({}, {}, {}, {}, {}, {}, {}) "
            "ON CONFLICT (origin, size, offered_root) DO NOTHING",
            cosigned.origin,
            cosigned.size,
            cosigned.root,
            cosigned.note,
            offered_root,
            offered_note,
            now,
        )

    async def evidence(self, *, origin: str | None, after: int, limit: int) -> list[EvidenceRecord]:
        """Evidence in the order it was found, after id ``after``, optionally of one log."""
        columns = (
            "id, origin, size, cosigned_root, cosigned_note, offered_root, offered_note, "
            "detected_at"
        )
        if origin is None:
            rows = await self.t.equivocation.raw(
                f"SELECT {columns} FROM equivocation WHERE id > {{}} ORDER BY id LIMIT {{}}",  # noqa: S608 - constant columns
                after,
                limit,
            )
        else:
            rows = await self.t.equivocation.raw(
                f"SELECT {columns} FROM equivocation WHERE origin = {{}} AND id > {{}} "  # noqa: S608 - constant columns
                "ORDER BY id LIMIT {}",
                origin,
                after,
                limit,
            )
        return [_evidence(r) for r in rows]

    async def logs(self, *, after: str, limit: int) -> list[CosignedRecord]:
        """Latest cosigned checkpoints of every log, by origin, after origin ``after``."""
        rows = await self.t.cosigned.raw(
            f"SELECT {_COSIGNED_COLUMNS} FROM cosigned_checkpoint WHERE origin > {{}} "  # noqa: S608 - constant columns
            "ORDER BY origin LIMIT {}",
            after,
            limit,
        )
        return [_cosigned(r) for r in rows]
