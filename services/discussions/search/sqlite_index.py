"""The SQLite search index: exactly the published comments, kept in step with the ``comment``
table by triggers on every write (insert, publication and rejection, response, edit, delete).

Three tables, all written by the triggers only:

- ``comment_fts``, a contentless FTS5 table (the text stays in ``comment`` alone) over the
  comment's text and wording (``body``) and its ``facets``.
- ``comment_search_entry`` gives each indexed comment its rowid there and keeps the comment's
  id and ``submitted_at``, byte for byte, so a cursor compares them exactly as the lists
  compare the comment's own columns.
- ``comment_search_facet`` numbers each (column, value) a search filters by.

What lets a page stop once it has its comments, instead of collecting, filtering and sorting
every match:

- The rowid follows submission order: ``millisecond * SPAN + n``, where ``millisecond`` is the
  comment's ``submitted_at`` in whole milliseconds since 1970 and ``n`` numbers the comments
  of that millisecond. FTS5 walks matches in rowid order and can start at any rowid, so a page
  reads its matches from the cursor onwards and stops; only the comments sharing the last
  millisecond need sorting by (``submitted_at``, ``id``), the order of every list.
- The period, section, stance and disposition are tokens of ``facets`` (``f`` and the number
  of the value), so the filters are part of the MATCH: FTS5 intersects their lists with the
  words' instead of reading every match of the words and discarding most of them.
- Every query word is a prefix (its stem), which FTS5 answers from a prefix index of exactly
  that length if there is one; without it, FTS5 first gathers the whole lists of every word
  starting with the prefix, which over 100,000 comments costs about 10 ms a word. The prefix
  indexes, one per length up to ``PREFIXES``, take about as much room again as the words' own
  index; leaving the text out of the FTS5 table more than makes up for it.
"""

# ruff: noqa: S608 - every statement here is built from this module's constants, never input

from __future__ import annotations

__all__ = (
    "CREATE",
    "DROP",
    "FACETS",
    "PREFIXES",
    "REBUILD",
    "SPAN",
    "facet",
    "millisecond",
)

PREFIXES = 20
"""Longest prefix with its own index; longer stems (rare words) take the slower way."""

SPAN = 1 << 20
"""Rowids per millisecond: more comments than this accepted in one millisecond are refused.
With milliseconds since 1970 it keeps rowids within 63 bits until the 23rd century."""

FACETS = ("period", "section", "stance", "disposition")
"""The columns a search filters by."""


def millisecond(timestamp: str) -> str:
    """SQL for a stored timestamp's whole milliseconds since 1970 (rounded as SQLite rounds).

    ``julianday`` is SQLite's own integer millisecond count divided by 86,400,000; the float
    arithmetic errs by far less than half a millisecond, so this gives that count back exactly,
    and it never decreases as the timestamp grows, which is what the ordering relies on."""
    return f"CAST((julianday({timestamp}) - 2440587.5) * 86400000.0 + 0.5 AS INTEGER)"


def facet(code: int) -> str:
    """The token standing for the (column, value) numbered ``code`` in comment_search_facet."""
    return f"f{code}"


def _facets(row: str) -> str:
    """SQL for the ``facets`` text of ``row``, whose values all have their numbers already."""
    return " || ' ' || ".join(
        "(SELECT 'f' || code FROM comment_search_facet "
        f"WHERE kind = '{column}' AND value = {row}.{column})"
        for column in FACETS
    )


def _body(row: str) -> str:
    return f"{row}.text || ' ' || {row}.proposed_wording"


def _index(row: str) -> tuple[str, ...]:
    """Statements adding ``row`` (``new``) to the index if it is published."""
    first = f"{millisecond(f'{row}.submitted_at')} * {SPAN}"
    end = f"{first} + {SPAN}"
    published = f"{row}.status = 'published'"
    values = ", ".join(f"('{column}', {row}.{column})" for column in FACETS)
    return (
        f"INSERT OR IGNORE INTO comment_search_facet (kind, value) VALUES {values}",
        "SELECT RAISE(ABORT, 'search index: too many comments in one millisecond') "
        f"WHERE {published} AND EXISTS "
        f"(SELECT 1 FROM comment_search_entry WHERE rowid = {end} - 1)",
        "INSERT INTO comment_search_entry (rowid, comment_id, submitted_at) SELECT "
        "coalesce((SELECT rowid + 1 FROM comment_search_entry "
        f"WHERE rowid >= {first} AND rowid < {end} ORDER BY rowid DESC LIMIT 1), {first}), "
        f"{row}.id, {row}.submitted_at WHERE {published}",
        f"INSERT INTO comment_fts (rowid, body, facets) SELECT rowid, {_body(row)}, "
        f"{_facets(row)} FROM comment_search_entry WHERE comment_id = {row}.id AND {published}",
    )


def _unindex(row: str) -> tuple[str, ...]:
    """Statements removing ``row`` (``old``) from the index if it is there. A contentless
    FTS5 table forgets a row only when told the very text it indexed; ``old`` is that text,
    since every change to it re-indexes the comment."""
    return (
        "INSERT INTO comment_fts (comment_fts, rowid, body, facets) "
        f"SELECT 'delete', rowid, {_body(row)}, {_facets(row)} "
        f"FROM comment_search_entry WHERE comment_id = {row}.id",
        f"DELETE FROM comment_search_entry WHERE comment_id = {row}.id",
    )


_INDEXED = ("status", "id", "submitted_at", "text", "proposed_wording", *FACETS)
_CHANGED = " OR ".join(f"old.{column} IS NOT new.{column}" for column in _INDEXED)


def _trigger(name: str, event: str, when: str, statements: tuple[str, ...]) -> str:
    body = "; ".join(statements)
    return f"CREATE TRIGGER {name} AFTER {event} ON comment WHEN {when} BEGIN {body}; END"


CREATE = (
    "CREATE TABLE comment_search_facet (code INTEGER PRIMARY KEY, kind TEXT NOT NULL, "
    "value TEXT NOT NULL, UNIQUE (kind, value))",
    "CREATE TABLE comment_search_entry (rowid INTEGER PRIMARY KEY, "
    "comment_id TEXT NOT NULL UNIQUE, submitted_at TEXT NOT NULL)",
    "CREATE VIRTUAL TABLE comment_fts USING fts5(body, facets, content = '', "
    "tokenize = 'unicode61 remove_diacritics 2', "
    f"prefix = '{' '.join(str(n) for n in range(1, PREFIXES + 1))}')",
    _trigger("comment_search_insert", "INSERT", "new.status = 'published'", _index("new")),
    # Removal first: the comment may stay published with new text, filters or time.
    _trigger(
        "comment_search_update",
        "UPDATE",
        f"(old.status = 'published' OR new.status = 'published') AND ({_CHANGED})",
        (*_unindex("old"), *_index("new")),
    ),
    _trigger("comment_search_delete", "DELETE", "old.status = 'published'", _unindex("old")),
)
"""The index and its triggers, on a database that has neither."""

DROP = (
    "DROP TRIGGER IF EXISTS comment_fts_publish",
    "DROP TRIGGER IF EXISTS comment_search_insert",
    "DROP TRIGGER IF EXISTS comment_search_update",
    "DROP TRIGGER IF EXISTS comment_search_delete",
    "DROP TABLE IF EXISTS comment_fts",
    "DROP TABLE IF EXISTS comment_search_entry",
    "DROP TABLE IF EXISTS comment_search_facet",
)
"""Every table and trigger of this index or of the first search migration."""

_MILLISECOND = millisecond("submitted_at")

REBUILD = (
    "INSERT OR IGNORE INTO comment_search_facet (kind, value) "
    + " UNION ALL ".join(
        f"SELECT DISTINCT '{column}', {column} FROM comment WHERE status = 'published'"
        for column in FACETS
    ),
    "INSERT INTO comment_search_entry (rowid, comment_id, submitted_at) SELECT "
    f"{_MILLISECOND} * {SPAN} "
    f"+ row_number() OVER (PARTITION BY {_MILLISECOND} ORDER BY id) - 1, id, submitted_at "
    "FROM comment WHERE status = 'published'",
    "INSERT INTO comment_fts (rowid, body, facets) "
    f"SELECT e.rowid, {_body('c')}, {_facets('c')} "
    "FROM comment_search_entry AS e JOIN comment AS c ON c.id = e.comment_id",
)
"""Fills an empty index with every published comment."""
