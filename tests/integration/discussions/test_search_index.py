"""The SQLite search index holds exactly the published comments, with their current text and
filters, after every kind of write, and in submission order; the migration's rebuild makes the
same index."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from litestar import Litestar

from services.discussions.comments.tables import Comment
from services.discussions.search.sqlite_index import (
    CREATE,
    DROP,
    FACETS,
    REBUILD,
    SPAN,
    facet,
)
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import comment, moderate, open_period

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@pytest.fixture
def database_backend() -> str:
    return "sqlite"  # PostgreSQL searches a generated column of the comment row itself


async def _index() -> list[dict[str, Any]]:
    """The index's entries, each with the words FTS5 holds for it and its facet tokens read
    back as (column, value)."""
    await Comment.raw(
        "CREATE VIRTUAL TABLE IF NOT EXISTS search_terms USING fts5vocab(comment_fts, instance)"
    )
    meaning = {
        facet(r["code"]): (r["kind"], r["value"])
        for r in await Comment.raw("SELECT kind, value, code FROM comment_search_facet")
    }
    words: dict[int, dict[str, list[str]]] = {}
    for t in await Comment.raw("SELECT doc, col, term FROM search_terms ORDER BY doc, offset"):
        words.setdefault(t["doc"], {"body": [], "facets": []})[t["col"]].append(t["term"])
    entries = await Comment.raw(
        "SELECT rowid AS r, comment_id FROM comment_search_entry ORDER BY rowid"
    )
    assert set(words) == {e["r"] for e in entries}
    return [
        {
            **e,
            "body": words[e["r"]]["body"],
            "facets": sorted(meaning[token] for token in words[e["r"]]["facets"]),
        }
        for e in entries
    ]


async def _published() -> list[dict[str, Any]]:
    """What the index should hold, derived from the comment rows."""
    wanted = []
    for row in await Comment.select().where(Comment.status == "published"):
        at: dt.datetime = row["submitted_at"]
        wanted.append(
            {
                "millisecond": ((at - EPOCH) // dt.timedelta(microseconds=1) + 500) // 1000,
                "comment_id": str(row["id"]),
                "body": re.findall(r"\w+", f"{row['text']} {row['proposed_wording']}".lower()),
                "facets": sorted((column, row[column]) for column in FACETS),
            }
        )
    return sorted(wanted, key=lambda w: (w["millisecond"], w["comment_id"]))


def _held(index: list[dict[str, Any]]) -> list[dict[str, Any]]:
    held = [
        {
            "millisecond": r["r"] // SPAN,
            "comment_id": r["comment_id"],
            "body": r["body"],
            "facets": r["facets"],
        }
        for r in index
    ]
    return sorted(held, key=lambda w: (w["millisecond"], w["comment_id"]))


async def test_search_index_follows_every_write_to_a_comment(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        ids = []
        for n, stance in enumerate(("object", "support", "object", "support")):
            submitted = await comment(
                client, period_id, people.citizen(), f"Деревья во дворе {n}", stance=stance
            )
            ids.append(submitted.json()["id"])
        assert await _index() == []  # pending comments are not searchable

        for comment_id in ids[:3]:
            await moderate(client, official, comment_id)
        await moderate(client, official, ids[3], "reject", "off_topic")
        assert _held(await _index()) == await _published()
        assert len(await _index()) == 3

        answered = await client.post(
            f"/api/v1/comments/{ids[0]}/response",
            json={"disposition": "accepted", "justification": "Учтено."},
            headers=official,
        )
        assert answered.status_code == 204, answered.text
        await Comment.update({Comment.text: "Газоны у дома", Comment.section: "p2-2"}).where(
            Comment.id == ids[1]
        )
        await Comment.update({Comment.rating: 5}).where(Comment.id == ids[0])
        await Comment.update({Comment.status: "rejected"}).where(Comment.id == ids[2])
        await Comment.update({Comment.status: "published"}).where(Comment.id == ids[3])
        await Comment.update(
            {Comment.submitted_at: dt.datetime(2030, 1, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)}
        ).where(Comment.id == ids[3])
        assert _held(await _index()) == await _published()
        held = {r["comment_id"]: r for r in await _index()}
        assert set(held) == {ids[0], ids[1], ids[3]}
        assert ("disposition", "accepted") in held[ids[0]]["facets"]
        assert held[ids[1]]["body"] == ["газоны", "у", "дома"]
        assert held[ids[3]]["r"] // SPAN == 1893499200123

        await Comment.delete().where(Comment.id == ids[1])
        assert _held(await _index()) == await _published()
        assert len(await _index()) == 2


async def test_rebuilding_the_index_gives_what_the_triggers_keep(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        for n in range(6):
            submitted = await comment(
                client, period_id, people.citizen(), f"Газоны {n}", section=("", "p2-1")[n % 2]
            )
            if n != 4:
                await moderate(client, official, submitted.json()["id"])
        # Several comments in one millisecond, numbered within it.
        await Comment.update({Comment.submitted_at: dt.datetime(2030, 1, 1, tzinfo=dt.UTC)}).where(
            Comment.period == period_id
        )
        kept = await _index()
        assert len({r["r"] for r in kept}) == 5
        assert {r["r"] // SPAN for r in kept} == {1893456000000}

        for statement in (*DROP, *CREATE, *REBUILD):  # what the migration runs
            await Comment.raw(statement)
        assert _held(await _index()) == _held(kept) == await _published()
