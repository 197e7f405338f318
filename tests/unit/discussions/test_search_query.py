"""The SQLite search query."""

from __future__ import annotations

from services.discussions.search.domain import fts5_query


def test_fts5_query_stems_and_neutralises_syntax() -> None:
    assert fts5_query('Деревья OR "газоны" NEAR(x)') == '"дерев"* "or"* "газон"* "near"* "x"*'
