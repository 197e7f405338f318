"""Search over published comments: PostgreSQL full text (Russian), SQLite FTS5.

PostgreSQL matches the stored ``search`` tsvector (``to_tsvector('russian', …)``, stemmed)
with ``websearch_to_tsquery('russian', q)``; SQLite matches an FTS5 index (Unicode case
folding, no stemming) with every word of the query reduced to a stem by a light suffix strip and
taken as a prefix, which catches most Russian inflections (see ``sqlite_index`` for how a
page there reads only as far as it needs). Results are in submission order, paginated like
every list.
"""

from __future__ import annotations

import re

from piccolo.columns.combination import WhereRaw

from services.discussions.comments.domain import (
    PUBLIC_FIELDS,
    PublicComment,
    after_cursor,
    page_of,
)
from services.discussions.comments.tables import Comment
from services.discussions.db import is_sqlite_table
from services.discussions.errors import InvalidError
from services.discussions.pagination import Page, decode_cursor
from services.discussions.search.sqlite_page import page_rows

__all__ = ("SearchService", "fts5_query")

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 12


_ENDING = re.compile(
    r"(ами|ями|ого|его|ому|ему|ыми|ими|ов|ев|ей|ам|ям|ах|ях|ом|ем|ой|ий|ый|ая|яя|ое|ее|ые|ие"
    r"|ью|ия|ья|а|я|о|е|ы|и|у|ю|ь)$"
)
_MIN_STEM = 4


def _stem(word: str) -> str:
    """A light Russian suffix strip, so the prefix catches the word's other forms."""
    word = word.lower()
    stripped = _ENDING.sub("", word)
    return stripped if len(stripped) >= _MIN_STEM else word


def fts5_query(q: str) -> str:
    """An FTS5 query matching every word of ``q`` (its stem) as a prefix; user syntax is
    neutralised by quoting."""
    words = _WORD.findall(q)[:MAX_WORDS]
    return " ".join(f'"{_stem(w)}"*' for w in words)


class SearchService:
    async def search(
        self,
        period_id: str,
        q: str,
        *,
        section: str | None,
        stance: str | None,
        disposition: str | None,
        cursor: str | None,
        limit: int,
    ) -> Page[PublicComment]:
        if not _WORD.search(q):
            raise InvalidError("empty-query", "Empty search", "Type at least one word.")
        if is_sqlite_table(Comment):
            filters = {"section": section, "stance": stance, "disposition": disposition}
            rows = await page_rows(
                period_id, fts5_query(q), filters, decode_cursor(cursor), limit + 1
            )
            return page_of(rows, limit, PublicComment)
        query = (
            Comment.select(*PUBLIC_FIELDS)
            .where((Comment.period == period_id) & (Comment.status == "published"))
            .where(WhereRaw("search @@ websearch_to_tsquery('russian', {})", q))
            .order_by(Comment.submitted_at, Comment.id)
            .limit(limit + 1)
        )
        if section is not None:
            query = query.where(Comment.section == section)
        if stance is not None:
            query = query.where(Comment.stance == stance)
        if disposition is not None:
            query = query.where(Comment.disposition == disposition)
        after = after_cursor(cursor)
        if after is not None:
            query = query.where(after)
        return page_of(list(await query), limit, PublicComment)
