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

from services.discussions.comments.domain import page_of
from services.discussions.comments.schemas import CommentFilters, PublicComment
from services.discussions.errors import InvalidError
from services.discussions.pagination import Page, decode_cursor
from services.discussions.search.store import SearchStore

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
    def __init__(self, store: SearchStore | None = None) -> None:
        self.store = store or SearchStore()

    async def search(
        self,
        period_id: str,
        q: str,
        filters: CommentFilters,
        *,
        cursor: str | None,
        limit: int,
    ) -> Page[PublicComment]:
        if not _WORD.search(q):
            raise InvalidError("empty-query", "Empty search", "Type at least one word.")
        query = fts5_query(q) if self.store.fts5() else q
        rows = await self.store.matching(
            period_id, query, filters, decode_cursor(cursor), limit + 1
        )
        return page_of(rows, limit, PublicComment)
