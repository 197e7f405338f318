"""Pure helpers: the SQLite search query and the outbox back-off."""

from __future__ import annotations

import datetime as dt

from services.discussions.outbox.domain import retry_delay
from services.discussions.search.domain import fts5_query


def test_fts5_query_stems_and_neutralises_syntax() -> None:
    assert fts5_query('Деревья OR "газоны" NEAR(x)') == '"дерев"* "or"* "газон"* "near"* "x"*'


def test_retry_delay_grows_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [1, 2, 4]
    assert retry_delay(50) == dt.timedelta(minutes=10)
