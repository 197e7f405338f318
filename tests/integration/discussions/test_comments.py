"""Comments: receipts, pre-moderation, public visibility, my comments, versions, escaping."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from litestar import Litestar

from services.discussions.comments.schemas import CommentFilters
from services.discussions.comments.store import PUBLIC_FIELDS, CommentStore
from services.discussions.comments.tables import Comment
from services.discussions.pagination import Cursor
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import comment, moderate, open_period


async def test_public_list_shows_only_published_comments(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        ids = [
            (await comment(client, period_id, people.citizen(), f"Замечание {i}")).json()["id"]
            for i in range(3)
        ]
        public = await client.get(f"/api/v1/periods/{period_id}/comments")
        assert public.json()["items"] == []
        await moderate(client, official, ids[0])
        rejected = await moderate(client, official, ids[1], "reject", "spam")
        assert rejected.status_code == 201
        public = (await client.get(f"/api/v1/periods/{period_id}/comments")).json()
        assert [c["id"] for c in public["items"]] == [ids[0]]
        queue = (
            await client.get(f"/api/v1/periods/{period_id}/moderation-queue", headers=official)
        ).json()
        assert [c["id"] for c in queue["items"]] == [ids[2]]


async def test_rejected_comment_stays_in_the_log(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        submitted = (await comment(client, period_id, people.citizen(), "спам спам")).json()
        await moderate(client, official, submitted["id"], "reject", "spam")
        await app.state.discussions.logs.integrate_now(period_id)
        found = await client.get(f"/api/v1/logs/{period_id}/tracking/{submitted['tracking_code']}")
        assert found.json()["status"] == "included"


async def test_moderation_rules(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        comment_id = (await comment(client, period_id, people.citizen())).json()["id"]
        no_reason = await moderate(client, official, comment_id, "reject")
        assert no_reason.status_code == 400
        by_citizen = await moderate(client, people.citizen(), comment_id)
        assert by_citizen.status_code == 403
        other_org = await moderate(client, people.official("other"), comment_id)
        assert other_org.status_code == 403
        bad_reason = await moderate(client, official, comment_id, "reject", "boring")
        assert bad_reason.status_code == 400
        assert (await moderate(client, official, comment_id)).status_code == 201
        again = await moderate(client, official, comment_id, "reject", "spam")
        assert again.status_code == 409


async def test_my_comments_list_status_and_response(app: Litestar, people: People) -> None:
    official = people.official()
    me = people.citizen(sub="me-" + "0" * 16)
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        first = (await comment(client, period_id, me, "Первое")).json()
        second = (await comment(client, period_id, me, "Второе")).json()
        await comment(client, period_id, people.citizen(), "Чужое")
        await moderate(client, official, first["id"])
        await moderate(client, official, second["id"], "reject", "off_topic")
        await client.post(
            f"/api/v1/comments/{first['id']}/response",
            json={"disposition": "noted", "justification": "Принято к сведению."},
            headers=official,
        )
        mine = (await client.get("/api/v1/me/comments", headers=me)).json()["items"]
        assert [(c["text"], c["status"], c["reject_reason"], c["disposition"]) for c in mine] == [
            ("Первое", "published", "", "noted"),
            ("Второе", "rejected", "off_topic", ""),
        ]
        assert mine[0]["tracking_code"] == first["tracking_code"]


async def test_script_is_stored_as_sent_and_escaped_in_html(app: Litestar, people: People) -> None:
    official = people.official()
    text = "<script>alert('x')</script> & ещё"
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        submitted = (await comment(client, period_id, people.citizen(), text)).json()
        await moderate(client, official, submitted["id"])
        public = (await client.get(f"/api/v1/periods/{period_id}/comments")).json()
        assert public["items"][0]["text"] == text
        page = await client.get(f"/api/v1/periods/{period_id}/comments.html")
        assert "<script>" not in page.text
        assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; ещё" in page.text


async def test_comment_rules_section_wording_length(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        unknown = await comment(client, period_id, people.citizen(), section="p9")
        assert unknown.json()["type"].endswith("/unknown-section")
        wordless = await comment(client, period_id, people.citizen(), stance="propose_wording")
        assert wordless.json()["type"].endswith("/wording-required")
        too_long = await comment(client, period_id, people.citizen(), "я" * 5001)
        assert too_long.status_code == 400
        anonymous = await client.post(
            f"/api/v1/periods/{period_id}/comments", json={"stance": "support", "text": "да"}
        )
        assert anonymous.status_code == 401
        unknown_field = await client.post(
            f"/api/v1/periods/{period_id}/comments",
            json={"stance": "support", "text": "да", "author": "x"},
            headers=people.citizen(),
        )
        assert unknown_field.json()["type"].endswith("/unknown-field")


async def test_new_version_keeps_comments_on_the_old_one(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft, period_id = await open_period(client, official)
        old = (await comment(client, period_id, people.citizen(), section="p2-1")).json()
        revised = await client.post(
            f"/api/v1/drafts/{draft['id']}/versions",
            json={"note": "Учтены замечания", "markdown": "# 1. Общие положения\nТекст.\n"},
            headers=official,
        )
        assert revised.json()["version"] == 2
        new = (await comment(client, period_id, people.citizen(), section="p1")).json()
        for item in (old, new):
            await moderate(client, official, item["id"])
        listed = (await client.get(f"/api/v1/periods/{period_id}/comments")).json()["items"]
        assert [(c["draft_version"], c["section"]) for c in listed] == [(1, "p2-1"), (2, "p1")]
        first = (await client.get(f"/api/v1/drafts/{draft['id']}", params={"version": 1})).json()
        assert [s["anchor"] for s in first["sections"]] == ["p1", "p2", "p2-1", "p2-2"]


async def test_lists_are_paginated(app: Litestar, people: People) -> None:
    official = people.official()
    me = people.citizen()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        for i in range(5):
            await comment(client, period_id, me, f"Комментарий {i}")
        seen: list[str] = []
        cursor = None
        while True:
            params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
            page = (await client.get("/api/v1/me/comments", params=params, headers=me)).json()
            seen += [c["text"] for c in page["items"]]
            cursor = page["next"]
            if cursor is None:
                break
        assert seen == [f"Комментарий {i}" for i in range(5)]
        too_many = await client.get("/api/v1/me/comments", params={"limit": 1000}, headers=me)
        assert too_many.status_code == 400


async def test_a_retry_with_the_same_idempotency_key_returns_the_original_receipt(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        author = people.citizen()
        body = {"section": "", "stance": "support", "text": "Поддерживаю", "proposed_wording": ""}
        path = f"/api/v1/periods/{period_id}/comments"
        keyed = {**author, "Idempotency-Key": "phone-retry-1"}
        first = await client.post(path, json=body, headers=keyed)
        again = await client.post(path, json=body, headers=keyed)
        assert first.status_code == again.status_code == 201
        assert again.json()["id"] == first.json()["id"]
        assert again.json()["entry_hash"] == first.json()["entry_hash"]
        # Several retries racing make one comment too.
        racing = {**author, "Idempotency-Key": "phone-retry-2"}
        answers = await asyncio.gather(
            *(client.post(path, json=body, headers=racing) for _ in range(5))
        )
        assert {a.status_code for a in answers} == {201}
        assert len({a.json()["id"] for a in answers}) == 1
        # The same key from another person is another comment; no key, another comment.
        other = await client.post(
            path, json=body, headers={**people.citizen(), "Idempotency-Key": "phone-retry-1"}
        )
        unkeyed = await client.post(path, json=body, headers=author)
        mine = (await client.get("/api/v1/me/comments", headers=author)).json()["items"]
        await app.state.discussions.logs.integrate_now(period_id)
        size = (await app.state.discussions.logs.store.head(period_id)).size
    assert other.json()["id"] != first.json()["id"]
    assert unkeyed.json()["id"] != first.json()["id"]
    assert len(mine) == 3  # phone-retry-1, phone-retry-2, the unkeyed one
    assert size == 4  # and the other person's


async def test_a_nul_character_is_never_a_server_error_and_a_refusal_stores_nothing(
    app: Litestar, people: People
) -> None:
    """PostgreSQL text cannot hold NUL: the refusal is a 400 problem and no comment or log
    entry is left behind; SQLite stores the text as sent."""
    official, author = people.official(), people.citizen()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        sent = await comment(client, period_id, author, "Замечание\x00с нулём")
        assert sent.status_code in (201, 400), sent.text
        mine = (await client.get("/api/v1/me/comments", headers=author)).json()["items"]
        if sent.status_code == 400:
            assert sent.headers["content-type"].startswith("application/problem+json")
            assert sent.json()["type"].endswith("/text-not-storable")
            assert mine == []
            await app.state.discussions.logs.integrate_now(period_id)
            checkpoint = await client.get(f"/api/v1/logs/{period_id}/checkpoint")
            # Nothing entered the log: it has no checkpoint to show.
            assert checkpoint.status_code == 404
        else:
            assert [c["id"] for c in mine] == [sent.json()["id"]]


async def test_the_raw_insert_stores_what_piccolos_insert_stores(
    app: Litestar, people: People
) -> None:
    """CommentStore.insert writes by raw SQL: each column, defaults included, must come back
    as a Piccolo insert of the same row stores it, values and types, on both databases."""
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        sent = dt.datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=dt.UTC)
        given: dict[str, Any] = {
            "period": period_id,
            "draft_version": 2,
            "section": "p1",
            "stance": "against",
            "text": "Текст <b>замечания</b>",
            "proposed_wording": "",
            "salt": bytes(range(32)),
            "tracking_code": "ABCD-EFGH-JK",
            "author": "a" * 64,
            "status": "pending",
            "submitted_at": sent,
        }
        ours, theirs = uuid.uuid4(), uuid.uuid4()
        await CommentStore().insert(
            [{**given, "id": ours, "entry_hash": b"\x01" * 32, "idempotency_key": "k" * 64}]
        )
        await Comment.insert(
            Comment(**given, id=theirs, entry_hash=b"\x02" * 32, idempotency_key="q" * 64)
        )
        rows = {r["id"]: r for r in await Comment.select().where(Comment.id.is_in([ours, theirs]))}
        raw, built = rows[ours], rows[theirs]
        assert {k: v for k, v in raw.items() if k not in _DIFFERENT} == {
            k: v for k, v in built.items() if k not in _DIFFERENT
        }
        assert isinstance(raw["id"], uuid.UUID)
        assert raw["submitted_at"] == sent
        assert bytes(raw["salt"]) == bytes(range(32))
        assert (raw["moderated_at"], raw["rating"], raw["disposition"]) == (None, None, "")


_DIFFERENT = ("id", "entry_hash", "idempotency_key")


async def test_the_raw_published_listing_reads_what_piccolos_select_reads(
    app: Litestar, people: People
) -> None:
    """CommentStore.published lists by raw SQL when no words are searched: the same rows, in
    the same order, with the same values and types as Piccolo's select, for each filter and
    from a cursor, on both databases."""
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        ids = []
        for section, stance, publish in (
            ("", "object", True),
            ("p1", "support", True),
            ("p1", "object", False),
            ("p1", "object", True),
            ("", "support", True),
        ):
            sent = await comment(
                client, period_id, people.citizen(), section=section, stance=stance
            )
            assert sent.status_code == 201, sent.text
            if publish:
                decided = await moderate(client, official, sent.json()["id"])
                assert decided.status_code == 201, decided.text
                ids.append(sent.json()["id"])
        answered = await client.post(
            f"/api/v1/comments/{ids[1]}/response",
            json={"disposition": "accepted", "justification": "Учтено."},
            headers=official,
        )
        assert answered.status_code == 204, answered.text

    store = CommentStore()
    columns = [*PUBLIC_FIELDS, Comment.responded_at]
    everything = await store.published(period_id, CommentFilters(), None, 10)
    assert [str(r["id"]) for r in everything] == ids
    middle = Cursor(at=everything[1]["submitted_at"], id=everything[1]["id"])
    for filters, after, limit in (
        (CommentFilters(), None, 10),
        (CommentFilters(), None, 2),
        (CommentFilters(), middle, 10),
        (CommentFilters(section="p1"), None, 10),
        (CommentFilters(section=""), middle, 10),
        (CommentFilters(stance="support"), None, 10),
        (CommentFilters(disposition="accepted"), None, 10),
        (CommentFilters(disposition=""), None, 1),
    ):
        where = (Comment.period == period_id) & (Comment.status == "published")
        for name, value in filters.columns().items():
            if value is not None:
                where = where & (getattr(Comment, name) == value)
        built = [dict(r) for r in await store._listing(where, after, limit, *columns)]
        raw = await store.published(period_id, filters, after, limit)
        assert raw == built, (filters, after, limit)
        assert [{k: type(v) for k, v in r.items()} for r in raw] == [
            {k: type(v) for k, v in r.items()} for r in built
        ]
    answered_row = next(r for r in everything if str(r["id"]) == ids[1])
    assert isinstance(answered_row["responded_at"], dt.datetime)
    assert answered_row["responded_at"].utcoffset() == dt.timedelta(0)
    assert isinstance(everything[0]["submitted_at"], dt.datetime)
    assert len(await store.published(period_id, CommentFilters(section="p1"), None, 10)) == 2
    assert len(await store.published(period_id, CommentFilters(), middle, 10)) == 2
