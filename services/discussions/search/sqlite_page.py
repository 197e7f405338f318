"""One page of SQLite search results, read from the FTS5 index in submission order.

The statement reads the first matches after the cursor in rowid order (a window, at most
``window`` rows) and sorts only those up to the end of the millisecond of the page's last one,
since within a millisecond the rowids do not follow the comments' ids. It says whether the
window held that millisecond whole; in the rare case it did not (more comments accepted in one
millisecond than the window has room for), the page is read again with a wider window.

One reading of the index per page, not two: a stem longer than the longest prefix index makes
FTS5 gather the whole lists of the words it stands for before the first row.
"""

from __future__ import annotations

from typing import Any

from services.discussions.comments.store import PUBLIC_FIELDS
from services.discussions.comments.tables import Comment
from services.discussions.pagination import Cursor
from services.discussions.search.sqlite_index import SPAN, facet, millisecond

__all__ = ("WINDOW", "page_rows")

WINDOW = 512
"""Matches a page reads at first (at least): comfortably more than a page plus the comments
sharing a millisecond with its last one, even after a bulk load."""

_FIELDS = ", ".join(f"c.{column._meta.db_column_name}" for column in PUBLIC_FIELDS)


async def _match(words: str, filters: dict[str, str]) -> str | None:
    """The MATCH expression: every filter as its facet token, the words within the body; None
    if some filter's value was never indexed, so nothing can match."""
    if not filters:
        return f"body : ({words})"
    wanted = " OR ".join("(kind = {} AND value = {})" for _ in filters)
    rows = await Comment.raw(
        f"SELECT code FROM comment_search_facet WHERE {wanted}",  # noqa: S608 - placeholders
        *(x for pair in filters.items() for x in pair),
    )
    if len(rows) < len(filters):
        return None
    facets = [f'facets : "{facet(row["code"])}"' for row in rows]
    return " AND ".join((*facets, f"body : ({words})"))


def _statement(after: Cursor | None, checks: list[str]) -> str:
    cursor = ""
    if after is not None:
        first = f"{millisecond('{}')} * {SPAN}"
        # Rows of the cursor's own millisecond are compared exactly, later ones all come after.
        cursor = (
            f" AND f.rowid >= {first} AND (f.rowid >= {first} + {SPAN} "
            "OR e.submitted_at > {} OR (e.submitted_at = {} AND e.comment_id > {}))"
        )
    where = " AND ".join(f"c.{column} = {{}}" for column in checks)
    return (
        "WITH hit AS MATERIALIZED (SELECT f.rowid AS r, e.comment_id, e.submitted_at "  # noqa: S608 - placeholders
        "FROM comment_fts AS f CROSS JOIN comment_search_entry AS e ON e.rowid = f.rowid "
        f"WHERE f.comment_fts MATCH {{}}{cursor} ORDER BY f.rowid LIMIT {{}}), "
        f"reach AS (SELECT max(r) / {SPAN} AS last "
        "FROM (SELECT r FROM hit ORDER BY r LIMIT {})), "
        "page AS (SELECT comment_id, submitted_at FROM hit "
        f"WHERE r / {SPAN} <= (SELECT last FROM reach) "
        "ORDER BY submitted_at, comment_id LIMIT {}) "
        f"SELECT {_FIELDS}, ((SELECT count(*) FROM hit) < {{}} "
        f"OR (SELECT max(r) FROM hit) / {SPAN} > (SELECT last FROM reach)) AS whole "
        # CROSS JOIN keeps the page as the outer loop: one primary-key lookup per result.
        "FROM page CROSS JOIN comment AS c ON c.id = page.comment_id "
        f"WHERE c.status = 'published' AND {where} "
        "ORDER BY page.submitted_at, page.comment_id"
    )


async def page_rows(
    period_id: str,
    words: str,
    filters: dict[str, str | None],
    after: Cursor | None,
    count: int,
) -> list[dict[str, Any]]:
    """Up to ``count`` published comments of the period matching ``words`` (an FTS5 query)
    and ``filters`` (column → value, None for any), after the cursor, in (submitted_at, id)
    order."""
    # The comment row stays the authority: the index only narrows the rows to look at.
    checks = {"period": period_id, **{k: v for k, v in filters.items() if v is not None}}
    expression = await _match(words, checks)
    if expression is None:
        return []
    statement = _statement(after, list(checks))
    window = max(WINDOW, 4 * count)
    while True:
        args: list[Any] = [expression]
        if after is not None:
            args += [after.at, after.at, after.at, after.at, after.id]
        args += [window, count, count, window, *checks.values()]
        rows = await Comment.raw(statement, *args)
        if not rows or rows[0]["whole"]:
            return [{k: v for k, v in row.items() if k != "whole"} for row in rows]
        window *= 8
