"""Reading search results: PostgreSQL's full text through the comment store, SQLite's FTS5
index (``sqlite_index``, read by ``sqlite_page``) where the comments live in SQLite."""

from __future__ import annotations

from services.discussions.comments.schemas import CommentFilters
from services.discussions.comments.store import CommentStore, Row
from services.discussions.comments.tables import Comment
from services.discussions.db import is_sqlite_table
from services.discussions.pagination import Cursor
from services.discussions.search.sqlite_page import page_rows

__all__ = ("SearchStore",)


class SearchStore:
    def __init__(self, comments: CommentStore | None = None) -> None:
        self.comments = comments or CommentStore()

    def fts5(self) -> bool:
        """Whether queries are FTS5 expressions (SQLite) rather than web-search text."""
        return is_sqlite_table(Comment)

    async def matching(
        self,
        period_id: str,
        query: str,
        filters: CommentFilters,
        after: Cursor | None,
        limit: int,
    ) -> list[Row]:
        """Published comments matching ``query`` (as :meth:`fts5` says to write it) and
        ``filters``, in submission order after the cursor, at most ``limit``."""
        if self.fts5():
            return await page_rows(period_id, query, filters.columns(), after, limit)
        return await self.comments.published(period_id, filters, after, limit, words=query)
