"""Reading and writing comment periods and their extensions; the only module that touches
their tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec

from services.discussions.comment_periods.schemas import CommentPeriodStatus, ExtensionView
from services.discussions.comment_periods.tables import CommentPeriod, CommentPeriodExtension
from services.discussions.db import is_sqlite_table, write_transaction

__all__ = ("CommentPeriodStore", "Row")

Row = dict[str, Any]
"""A period's columns by name, as stored (eligibility and territory as JSON text)."""

_LISTED = CommentPeriod.all_columns(
    exclude=[
        CommentPeriod.territory,
        CommentPeriod.definition,
        CommentPeriod.report,
        CommentPeriod.certificate,
    ]
)
"""What a listing reads: the view's columns, not the report's bytes (they can be large)."""
_VIEW_ROW = (
    # The names are the table's own columns; the id is a bound parameter.
    f"SELECT {', '.join(c._meta.db_column_name for c in _LISTED)} "  # noqa: S608
    "FROM comment_period WHERE id = {} LIMIT 1"
)
"""One period's view columns, as raw SQL: Piccolo would build this select anew on every read,
which costs more than running it."""


_ACCEPTING = (
    CommentPeriod.id,
    CommentPeriod.draft,
    CommentPeriod.status,
    CommentPeriod.starts_at,
    CommentPeriod.ends_at,
    CommentPeriod.eligibility,
    CommentPeriod.territory,
)
"""What accepting a comment reads of its period: whether it is open, and who may comment."""
_ACCEPTING_ROW = (
    f"SELECT {', '.join(c._meta.db_column_name for c in _ACCEPTING)} "  # noqa: S608
    "FROM comment_period WHERE id = {} LIMIT 1"
)
_ACCEPT_COMMENTS = (
    "UPDATE comment_period SET comment_count = comment_count + {} "
    "WHERE id = {} AND status = {} AND ends_at > {} RETURNING id"
)


class CommentPeriodStore:
    def transaction(self) -> Any:
        """A write transaction on the service's database (every feature's table is in it)."""
        return write_transaction(CommentPeriod)

    async def get(self, period_id: str) -> Row | None:
        row = await CommentPeriod.select().where(CommentPeriod.id == period_id).first()
        return None if row is None else dict(row)

    async def view_row(self, period_id: str) -> Row | None:
        """The columns a period's view shows (those of a listing), without its report."""
        rows = await CommentPeriod.raw(_VIEW_ROW, period_id)
        return dict(rows[0]) if rows else None

    async def accepting_row(self, period_id: str) -> Row | None:
        """The columns accepting a comment reads (raw, as :meth:`view_row`)."""
        rows = await CommentPeriod.raw(_ACCEPTING_ROW, period_id)
        return dict(rows[0]) if rows else None

    async def exists(self, period_id: str) -> bool:
        # Raw: building Piccolo's select of every column costs more than running it, and
        # pages check the period this way on every read of its comments and extensions.
        found = await CommentPeriod.raw(
            "SELECT 1 AS one FROM comment_period WHERE id = {} LIMIT 1", period_id
        )
        return bool(found)

    async def insert(self, row: Row) -> None:
        await CommentPeriod.insert(CommentPeriod(**row))

    async def set_dates(self, period_id: str, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
        await CommentPeriod.update(
            {CommentPeriod.starts_at: starts_at, CommentPeriod.ends_at: ends_at}
        ).where(CommentPeriod.id == period_id)

    async def set_status(self, period_id: str, status: CommentPeriodStatus) -> None:
        await CommentPeriod.update({CommentPeriod.status: status.value}).where(
            CommentPeriod.id == period_id
        )

    async def extension_count(self, period_id: str) -> int:
        return int(
            await CommentPeriodExtension.count().where(CommentPeriodExtension.period == period_id)
        )

    async def extend(self, period_id: str, extension: ExtensionView, decided_by: str) -> None:
        """Move the end and log the extension with who decided it (inside a transaction)."""
        await CommentPeriod.update({CommentPeriod.ends_at: extension.new_end}).where(
            CommentPeriod.id == period_id
        )
        await CommentPeriodExtension.insert(
            CommentPeriodExtension(
                period=period_id, decided_by=decided_by, **msgspec.structs.asdict(extension)
            )
        )

    async def extensions(self, period_id: str, limit: int) -> list[Row]:
        """The period's extensions, oldest first: previous_end, new_end, reason, decided_at."""
        # Raw, as :data:`_VIEW_ROW`: every discussion page reads them.
        rows = await CommentPeriodExtension.raw(
            "SELECT previous_end, new_end, reason, decided_at FROM comment_period_extension "
            "WHERE period = {} ORDER BY decided_at LIMIT {}",
            period_id,
            limit,
        )
        return [dict(r) for r in rows]

    async def listing(
        self,
        *,
        draft_id: uuid.UUID | None,
        status: CommentPeriodStatus | None,
        created_after: dt.datetime | None,
        limit: int,
    ) -> list[Row]:
        """Comment periods past their draft state in creation order, at most ``limit``."""
        query = CommentPeriod.select(*_LISTED).order_by(CommentPeriod.created_at).limit(limit)
        if draft_id is not None:
            query = query.where(CommentPeriod.draft == draft_id)
        if status is not None:
            query = query.where(CommentPeriod.status == status.value)
        query = query.where(CommentPeriod.status != CommentPeriodStatus.DRAFT.value)
        if created_after is not None:
            query = query.where(CommentPeriod.created_at > created_after)
        return [dict(r) for r in await query]

    async def ids_of_draft(self, draft_id: uuid.UUID) -> list[str]:
        """Every period of a draft, in creation order, its draft state included."""
        rows = await (
            CommentPeriod.select(CommentPeriod.id)
            .where(CommentPeriod.draft == draft_id)
            .order_by(CommentPeriod.created_at)
        )
        return [str(r["id"]) for r in rows]

    async def reported(self, period_ids: Iterable[str]) -> set[str]:
        """Which of these periods have their report published."""
        wanted = sorted(set(period_ids))
        if not wanted:
            return set()
        rows = await CommentPeriod.select(CommentPeriod.id).where(
            CommentPeriod.id.is_in(wanted)
            & (CommentPeriod.status == CommentPeriodStatus.REPORT_PUBLISHED.value)
        )
        return {str(r["id"]) for r in rows}

    async def accept_comments(self, period_id: str, count: int, now: dt.datetime) -> bool:
        """Count ``count`` more comments if the period is open and its end has not passed;
        the row lock this takes orders acceptance against the scheduler's close."""
        # Raw: it runs with every comment, and Piccolo's update costs more to build than to run.
        bumped = await CommentPeriod.raw(
            _ACCEPT_COMMENTS, count, period_id, CommentPeriodStatus.OPEN.value, now
        )
        return bool(bumped)

    async def shared_status(self, period_id: str) -> str | None:
        """The period's status, its row share-locked (PostgreSQL) until the transaction ends,
        so the report's publisher waits for the caller."""
        query = CommentPeriod.select(CommentPeriod.status).where(CommentPeriod.id == period_id)
        if not is_sqlite_table(CommentPeriod):
            query = query.lock_rows("SHARE")
        row = await query.first()
        return None if row is None else str(row["status"])

    async def due_to_open(self, now: dt.datetime) -> list[str]:
        rows = await CommentPeriod.select(CommentPeriod.id).where(
            (CommentPeriod.status == CommentPeriodStatus.ANNOUNCED.value)
            & (CommentPeriod.starts_at <= now)
        )
        return [str(r["id"]) for r in rows]

    async def due_to_close(self, now: dt.datetime) -> list[str]:
        rows = await CommentPeriod.select(CommentPeriod.id).where(
            (CommentPeriod.status == CommentPeriodStatus.OPEN.value)
            & (CommentPeriod.ends_at <= now)
        )
        return [str(r["id"]) for r in rows]

    async def open(self, period_id: str, now: dt.datetime) -> bool:
        """announced → open; False if another replica got there first."""
        opened = (
            await CommentPeriod.update(
                {CommentPeriod.status: CommentPeriodStatus.OPEN.value, CommentPeriod.opened_at: now}
            )
            .where(
                (CommentPeriod.id == period_id)
                & (CommentPeriod.status == CommentPeriodStatus.ANNOUNCED.value)
            )
            .returning(CommentPeriod.id)
        )
        return bool(opened)

    async def close(self, period_id: str, now: dt.datetime) -> bool:
        """open → closed once the end has passed (an extension may have moved it)."""
        closed = (
            await CommentPeriod.update(
                {
                    CommentPeriod.status: CommentPeriodStatus.CLOSED.value,
                    CommentPeriod.closed_at: now,
                }
            )
            .where(
                (CommentPeriod.id == period_id)
                & (CommentPeriod.status == CommentPeriodStatus.OPEN.value)
                & (CommentPeriod.ends_at <= now)
            )
            .returning(CommentPeriod.id)
        )
        return bool(closed)

    async def publish_report(
        self,
        period_id: str,
        *,
        definition: bytes,
        report: bytes,
        certificate: str,
        now: dt.datetime,
    ) -> bool:
        """closed → report_published with the certified report; False if it was not closed."""
        updated = (
            await CommentPeriod.update(
                {
                    CommentPeriod.status: CommentPeriodStatus.REPORT_PUBLISHED.value,
                    CommentPeriod.definition: definition,
                    CommentPeriod.report: report,
                    CommentPeriod.certificate: certificate,
                    CommentPeriod.report_published_at: now,
                }
            )
            .where(
                (CommentPeriod.id == period_id)
                & (CommentPeriod.status == CommentPeriodStatus.CLOSED.value)
            )
            .returning(CommentPeriod.id)
        )
        return bool(updated)
