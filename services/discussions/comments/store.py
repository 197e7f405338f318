"""Reading and writing comments (their moderation, response and rating included); the only
module that touches the comment table."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from typing import Any

from piccolo.columns import Column
from piccolo.columns.combination import WhereRaw
from piccolo.columns.defaults.base import Default
from piccolo.custom_types import Combinable
from piccolo.query.functions.aggregate import Count

from services.discussions.comments.schemas import CommentFilters
from services.discussions.comments.tables import Comment
from services.discussions.db import is_sqlite_table, write_transaction
from services.discussions.pagination import Cursor

__all__ = ("PUBLIC_FIELDS", "CommentStore", "Row")

Row = dict[str, Any]
"""A comment's columns by name."""

PUBLIC_FIELDS = [
    Comment.id,
    Comment.period,
    Comment.draft_version,
    Comment.section,
    Comment.stance,
    Comment.text,
    Comment.proposed_wording,
    Comment.submitted_at,
    Comment.disposition,
    Comment.justification,
]
"""What anyone may read of a published comment."""

_MINE = [
    *PUBLIC_FIELDS,
    Comment.responded_at,
    Comment.tracking_code,
    Comment.status,
    Comment.reject_reason,
    Comment.rating,
]


_PUBLISHED_SELECT = (
    "SELECT "  # noqa: S608 - column names of the table, no input
    + ", ".join(f'"{c._meta.db_column_name}"' for c in [*PUBLIC_FIELDS, Comment.responded_at])
    + ' FROM comment WHERE "period" = {} AND "status" = \'published\''
)
"""The published comments' public fields and when the response was given (raw listing)."""

_COLUMNS = Comment._meta.columns
_INSERT_COLUMNS = ", ".join(column._meta.db_column_name for column in _COLUMNS)
_ROW_PLACEHOLDERS = "(" + ", ".join(["{}"] * len(_COLUMNS)) + ")"
_INSERT_ROWS = 500
"""Rows per INSERT: 500 × 21 values, under both databases' limit of bound parameters."""


def _value(row: Row, column: Column) -> Any:
    name = column._meta.name
    if name in row:
        return row[name]
    default = column.get_default_value()
    return default.python() if isinstance(default, Default) else default


class CommentStore:
    def transaction(self) -> Any:
        return write_transaction(Comment)

    async def get(self, comment_id: uuid.UUID) -> Row | None:
        row = await Comment.select().where(Comment.id == comment_id).first()
        return None if row is None else dict(row)

    async def by_idempotency_key(self, period_id: str, key: str) -> Row | None:
        """The comment a submission with this key made: id, entry_hash, submitted_at."""
        row = (
            await Comment.select(Comment.id, Comment.entry_hash, Comment.submitted_at)
            .where((Comment.period == period_id) & (Comment.idempotency_key == key))
            .first()
        )
        return None if row is None else dict(row)

    async def insert(self, rows: Sequence[Row]) -> None:
        """Insert comments; a column a row leaves out takes the table's default.

        By raw SQL: a Piccolo row object of these 21 columns, and the insert built from it,
        cost more than the database's own work (a test holds the rows equal to Piccolo's)."""
        for start in range(0, len(rows), _INSERT_ROWS):
            part = rows[start : start + _INSERT_ROWS]
            values = ", ".join([_ROW_PLACEHOLDERS] * len(part))
            await Comment.raw(
                f"INSERT INTO comment ({_INSERT_COLUMNS}) VALUES {values}",  # noqa: S608 - placeholders
                *(_value(row, column) for row in part for column in _COLUMNS),
            )

    def _listing(
        self, where: Combinable, after: Cursor | None, limit: int, *columns: Column
    ) -> Any:
        """``columns`` of the comments ``where`` picks, in submission order (ties by id) after
        the cursor, at most ``limit``: every list of comments is paged so."""
        query = (
            Comment.select(*columns)
            .where(where)
            .order_by(Comment.submitted_at, Comment.id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(
                (Comment.submitted_at > after.at)
                | ((Comment.submitted_at == after.at) & (Comment.id > after.id))
            )
        return query

    async def published(
        self,
        period_id: str,
        filters: CommentFilters,
        after: Cursor | None,
        limit: int,
        *,
        words: str | None = None,
    ) -> list[Row]:
        """Published comments of the period in submission order after the cursor, at most
        ``limit``: the public fields and, unless ``words`` searches them (PostgreSQL full
        text, ``websearch_to_tsquery('russian', words)``), when the response was given."""
        if words is None:
            return await self._published_raw(period_id, filters, after, limit)
        where = (Comment.period == period_id) & (Comment.status == "published")
        for name, value in filters.columns().items():
            if value is not None:
                where = where & (getattr(Comment, name) == value)
        query = self._listing(where, after, limit, *PUBLIC_FIELDS)
        return list(
            await query.where(WhereRaw("search @@ websearch_to_tsquery('russian', {})", words))
        )

    async def _published_raw(
        self, period_id: str, filters: CommentFilters, after: Cursor | None, limit: int
    ) -> list[Row]:
        """:meth:`published` without words, by raw SQL: every discussion page lists them, and
        Piccolo's select of these eleven columns cost more to build than to run (a test holds
        the rows equal to Piccolo's, filters and cursor included, on both databases)."""
        query = [_PUBLISHED_SELECT]
        args: list[Any] = [period_id]
        for name, value in filters.columns().items():
            if value is not None:
                query.append(f' AND "{name}" = {{}}')
                args.append(value)
        if after is not None:
            query.append(' AND ("submitted_at" > {} OR ("submitted_at" = {} AND "id" > {}))')
            args.extend((after.at, after.at, after.id))
        query.append(' ORDER BY "submitted_at", "id" LIMIT {}')
        args.append(limit)
        return [dict(r) for r in await Comment.raw("".join(query), *args)]

    async def pending(self, period_id: str, after: Cursor | None, limit: int) -> list[Row]:
        """Comments awaiting moderation, oldest first, with their tracking codes."""
        where = (Comment.period == period_id) & (Comment.status == "pending")
        return list(await self._listing(where, after, limit, *PUBLIC_FIELDS, Comment.tracking_code))

    async def by_author(self, author: str, after: Cursor | None, limit: int) -> list[Row]:
        """The author's comments in every period with status, response and rating."""
        return list(await self._listing(Comment.author == author, after, limit, *_MINE))

    async def rating_entry_hashes(self, comment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, bytes]:
        """Leaf hashes of the ratings of these comments that entered the log."""
        if not comment_ids:
            return {}
        rows = await Comment.select(Comment.id, Comment.rating_entry_hash).where(
            Comment.id.is_in(list(comment_ids)) & Comment.rating_entry_hash.is_not_null()
        )
        return {r["id"]: bytes(r["rating_entry_hash"]) for r in rows}

    async def moderate(
        self, comment_id: uuid.UUID, *, status: str, reason: str, note: str, now: dt.datetime
    ) -> bool:
        """Decide a pending comment; False if it was not pending any more."""
        changed = (
            await Comment.update(
                {
                    Comment.status: status,
                    Comment.reject_reason: reason,
                    Comment.moderator_note: note,
                    Comment.moderated_at: now,
                }
            )
            .where((Comment.id == comment_id) & (Comment.status == "pending"))
            .returning(Comment.id)
        )
        return bool(changed)

    async def respond(
        self,
        comment_id: uuid.UUID,
        *,
        disposition: str,
        justification: str,
        now: dt.datetime,
        first: bool,
    ) -> bool:
        """Record the response; with ``first`` only if the comment had none (False if it had)."""
        where: Combinable = Comment.id == comment_id
        if first:
            where = where & (Comment.disposition == "")
        changed = (
            await Comment.update(
                {
                    Comment.disposition: disposition,
                    Comment.justification: justification,
                    Comment.responded_at: now,
                }
            )
            .where(where)
            .returning(Comment.id)
        )
        return bool(changed)

    async def for_rating(self, comment_id: uuid.UUID) -> Row | None:
        """author, disposition, rating, period and entry_hash, the row locked for update
        (PostgreSQL): two ratings of one comment wait for each other here rather than both
        writing the same log entry."""
        query = Comment.select(
            Comment.author,
            Comment.disposition,
            Comment.rating,
            Comment.period,
            Comment.entry_hash,
        ).where(Comment.id == comment_id)
        if not is_sqlite_table(Comment):
            query = query.lock_rows("UPDATE")
        row = await query.first()
        return None if row is None else dict(row)

    async def rate(self, comment_id: uuid.UUID, rating: int, entry_hash: bytes) -> bool:
        """Record the rating and its log entry; False if the comment was rated already."""
        changed = (
            await Comment.update({Comment.rating: rating, Comment.rating_entry_hash: entry_hash})
            .where((Comment.id == comment_id) & Comment.rating.is_null())
            .returning(Comment.id)
        )
        return bool(changed)

    async def counts_by_version(self, period_ids: Sequence[str]) -> dict[int, int]:
        """Comments of these periods by the draft version they were made on."""
        rows = (
            await Comment.select(Comment.draft_version, Count(Comment.id, alias="n"))
            .where(Comment.period.is_in(list(period_ids)))
            .group_by(Comment.draft_version)
        )
        return {int(r["draft_version"]): int(r["n"]) for r in rows}

    async def published_counts(self, period_id: str) -> dict[str, int]:
        """Published comments of the period by section ("" for the whole draft)."""
        # Raw: every discussion page counts them, and Piccolo would build the query anew.
        rows = await Comment.raw(
            "SELECT section, COUNT(id) AS n FROM comment WHERE period = {} AND status = {} "
            "GROUP BY section",
            period_id,
            "published",
        )
        return {str(r["section"]): int(r["n"]) for r in rows}

    async def for_report(self, period_id: str) -> list[Row]:
        """Every comment of the period with what its report annotation says."""
        rows = await Comment.select(
            Comment.id,
            Comment.entry_hash,
            Comment.status,
            Comment.reject_reason,
            Comment.text,
            Comment.proposed_wording,
            Comment.salt,
            Comment.disposition,
            Comment.justification,
            Comment.responded_at,
            Comment.rating,
            Comment.rating_entry_hash,
        ).where(Comment.period == period_id)
        return [dict(r) for r in rows]

    async def count(self, period_id: str, *, logged_ratings: bool = False) -> int:
        """The period's comments, or with ``logged_ratings`` its ratings that entered the log."""
        where: Combinable = Comment.period == period_id
        if logged_ratings:
            where = where & Comment.rating_entry_hash.is_not_null()
        return int(await Comment.count().where(where))

    async def has_pending(self, period_id: str) -> bool:
        return bool(
            await Comment.exists().where(
                (Comment.period == period_id) & (Comment.status == "pending")
            )
        )

    async def authors(self, period_id: str) -> list[str]:
        """Everyone who commented in the period, each once."""
        rows = await Comment.select(Comment.author).where(Comment.period == period_id).distinct()
        return sorted({str(r["author"]) for r in rows})
