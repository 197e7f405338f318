"""Reading and writing comment periods and their extensions; the only module that touches
their tables."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

import msgspec

from services.discussions.db import is_sqlite_table, write_transaction
from services.discussions.periods.schemas import ExtensionView, PeriodStatus
from services.discussions.periods.tables import Period, PeriodExtension

__all__ = ("PeriodStore", "Row")

Row = dict[str, Any]
"""A period's columns by name, as stored (eligibility and territory as JSON text)."""

_LISTED = Period.all_columns(
    exclude=[Period.territory, Period.definition, Period.report, Period.certificate]
)
"""What a listing reads: the view's columns, not the report's bytes (they can be large)."""


class PeriodStore:
    def transaction(self) -> Any:
        """A write transaction on the service's database (every feature's table is in it)."""
        return write_transaction(Period)

    async def get(self, period_id: str) -> Row | None:
        row = await Period.select().where(Period.id == period_id).first()
        return None if row is None else dict(row)

    async def insert(self, row: Row) -> None:
        await Period.insert(Period(**row))

    async def set_dates(self, period_id: str, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
        await Period.update({Period.starts_at: starts_at, Period.ends_at: ends_at}).where(
            Period.id == period_id
        )

    async def set_status(self, period_id: str, status: PeriodStatus) -> None:
        await Period.update({Period.status: status.value}).where(Period.id == period_id)

    async def extension_count(self, period_id: str) -> int:
        return int(await PeriodExtension.count().where(PeriodExtension.period == period_id))

    async def extend(self, period_id: str, extension: ExtensionView, decided_by: str) -> None:
        """Move the end and log the extension with who decided it (inside a transaction)."""
        await Period.update({Period.ends_at: extension.new_end}).where(Period.id == period_id)
        await PeriodExtension.insert(
            PeriodExtension(
                period=period_id, decided_by=decided_by, **msgspec.structs.asdict(extension)
            )
        )

    async def extensions(self, period_id: str, limit: int) -> list[Row]:
        """The period's extensions, oldest first: previous_end, new_end, reason, decided_at."""
        rows = await (
            PeriodExtension.select(
                PeriodExtension.previous_end,
                PeriodExtension.new_end,
                PeriodExtension.reason,
                PeriodExtension.decided_at,
            )
            .where(PeriodExtension.period == period_id)
            .order_by(PeriodExtension.decided_at)
            .limit(limit)
        )
        return [dict(r) for r in rows]

    async def listing(
        self,
        *,
        draft_id: uuid.UUID | None,
        status: PeriodStatus | None,
        created_after: dt.datetime | None,
        limit: int,
    ) -> list[Row]:
        """Periods past their draft state in creation order, at most ``limit``."""
        query = Period.select(*_LISTED).order_by(Period.created_at).limit(limit)
        if draft_id is not None:
            query = query.where(Period.draft == draft_id)
        if status is not None:
            query = query.where(Period.status == status.value)
        query = query.where(Period.status != PeriodStatus.DRAFT.value)
        if created_after is not None:
            query = query.where(Period.created_at > created_after)
        return [dict(r) for r in await query]

    async def ids_of_draft(self, draft_id: uuid.UUID) -> list[str]:
        """Every period of a draft, in creation order, its draft state included."""
        rows = await (
            Period.select(Period.id).where(Period.draft == draft_id).order_by(Period.created_at)
        )
        return [str(r["id"]) for r in rows]

    async def reported(self, period_ids: Iterable[str]) -> set[str]:
        """Which of these periods have their report published."""
        wanted = sorted(set(period_ids))
        if not wanted:
            return set()
        rows = await Period.select(Period.id).where(
            Period.id.is_in(wanted) & (Period.status == PeriodStatus.REPORT_PUBLISHED.value)
        )
        return {str(r["id"]) for r in rows}

    async def accept_comments(self, period_id: str, count: int, now: dt.datetime) -> bool:
        """Count ``count`` more comments if the period is open and its end has not passed;
        the row lock this takes orders acceptance against the scheduler's close."""
        bumped = (
            await Period.update({Period.comment_count: Period.comment_count + count})
            .where(
                (Period.id == period_id)
                & (Period.status == PeriodStatus.OPEN.value)
                & (Period.ends_at > now)
            )
            .returning(Period.id)
        )
        return bool(bumped)

    async def shared_status(self, period_id: str) -> str | None:
        """The period's status, its row share-locked (PostgreSQL) until the transaction ends,
        so the report's publisher waits for the caller."""
        query = Period.select(Period.status).where(Period.id == period_id)
        if not is_sqlite_table(Period):
            query = query.lock_rows("SHARE")
        row = await query.first()
        return None if row is None else str(row["status"])

    async def due_to_open(self, now: dt.datetime) -> list[str]:
        rows = await Period.select(Period.id).where(
            (Period.status == PeriodStatus.ANNOUNCED.value) & (Period.starts_at <= now)
        )
        return [str(r["id"]) for r in rows]

    async def due_to_close(self, now: dt.datetime) -> list[str]:
        rows = await Period.select(Period.id).where(
            (Period.status == PeriodStatus.OPEN.value) & (Period.ends_at <= now)
        )
        return [str(r["id"]) for r in rows]

    async def open(self, period_id: str, now: dt.datetime) -> bool:
        """announced → open; False if another replica got there first."""
        opened = (
            await Period.update({Period.status: PeriodStatus.OPEN.value, Period.opened_at: now})
            .where((Period.id == period_id) & (Period.status == PeriodStatus.ANNOUNCED.value))
            .returning(Period.id)
        )
        return bool(opened)

    async def close(self, period_id: str, now: dt.datetime) -> bool:
        """open → closed once the end has passed (an extension may have moved it)."""
        closed = (
            await Period.update({Period.status: PeriodStatus.CLOSED.value, Period.closed_at: now})
            .where(
                (Period.id == period_id)
                & (Period.status == PeriodStatus.OPEN.value)
                & (Period.ends_at <= now)
            )
            .returning(Period.id)
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
            await Period.update(
                {
                    Period.status: PeriodStatus.REPORT_PUBLISHED.value,
                    Period.definition: definition,
                    Period.report: report,
                    Period.certificate: certificate,
                    Period.report_published_at: now,
                }
            )
            .where((Period.id == period_id) & (Period.status == PeriodStatus.CLOSED.value))
            .returning(Period.id)
        )
        return bool(updated)
