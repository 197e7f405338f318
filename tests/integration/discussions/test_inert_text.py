"""A comment with markup, a right-to-left override and invisible characters is stored exactly
as sent and shown inert."""

from __future__ import annotations

from litestar import Litestar

from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import comment, moderate, open_period

TRICKY = "Согласен <b>полностью</b>\u202eтекст\u202c с\u200bкрытым\u2066 символом"


async def test_tricky_comment_is_stored_as_sent_and_shown_inert(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        _, period_id = await open_period(client, official)
        sent = await comment(client, period_id, people.citizen(), TRICKY)
        assert sent.status_code == 201, sent.text
        await moderate(client, official, sent.json()["id"], "publish")
        listed = (await client.get(f"/api/v1/periods/{period_id}/comments")).json()["items"]
        assert [c["text"] for c in listed] == [TRICKY]
        fragment = (await client.get(f"/api/v1/periods/{period_id}/comments.html")).text
        assert "&lt;b&gt;полностью&lt;/b&gt;" in fragment
        assert "<b>" not in fragment
        assert "⟨U+202E⟩" in fragment
        assert "⟨U+200B⟩" in fragment
        assert "\u202e" not in fragment
