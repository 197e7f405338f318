"""Search: published comments only, word forms, filters by section, stance, disposition."""

from __future__ import annotations

from litestar import Litestar

from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import comment, moderate, open_period


async def test_search_finds_published_comments_with_filters(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        texts = [
            ("Сохраните деревья во дворе", "p2-1", "object"),
            ("Деревьям нужен уход", "p2-1", "support"),
            ("Газоны важнее деревьев", "p2-2", "support"),
            ("Деревья рубить нельзя", "p2-1", "object"),
        ]
        ids = []
        for text, section, stance in texts:
            ids.append(
                (
                    await comment(
                        client, period_id, people.citizen(), text, section=section, stance=stance
                    )
                ).json()["id"]
            )
        for comment_id in ids[:3]:
            await moderate(client, official, comment_id)
        await client.post(
            f"/api/v1/comments/{ids[1]}/response",
            json={"disposition": "accepted", "justification": "Да."},
            headers=official,
        )

        async def found(**params: str) -> list[str]:
            response = await client.get(f"/api/v1/periods/{period_id}/search", params=params)
            assert response.status_code == 200, response.text
            return [c["text"] for c in response.json()["items"]]

        assert await found(q="деревья") == [t for t, _, _ in texts[:3]]
        assert await found(q="деревья", section="p2-2") == [texts[2][0]]
        assert await found(q="деревья", stance="object") == [texts[0][0]]
        assert await found(q="деревья", disposition="accepted") == [texts[1][0]]
        assert await found(q="ГАЗОНЫ") == [texts[2][0]]
        assert await found(q="рубить") == []
        empty = await client.get(f"/api/v1/periods/{period_id}/search", params={"q": "!!"})
        assert empty.status_code == 400
