"""Search pages: every match exactly once, in submission order, under every filter and page
size, including comments accepted in the same instant; moderation takes a comment out of the
results and puts it back."""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar

from services.discussions.comments.domain import Submission
from services.discussions.comments.tables import Comment
from services.discussions.deps import Discussions
from shared.comment_period.entry import Stance
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import comment, moderate, now, open_period

MATCHING = "Сохраните деревья во дворе"
OTHER = "Газоны очищаются весной"
SECTIONS = ("", "p2-1", "p2-2")
STANCES = (Stance.OBJECT, Stance.SUPPORT)


@dataclass(frozen=True, slots=True)
class Citizen:
    sub: str
    oktmo: str = "92701000001"
    birth_date: dt.date = dt.date(1980, 1, 1)
    trusted: bool = True


@dataclass(slots=True)
class Known:
    id: str
    at: dt.datetime
    text: str
    section: str
    stance: str
    status: str = "published"
    disposition: str = ""


async def _submit(
    discussions: Discussions, period_id: str, at: dt.datetime, count: int, start: int
) -> list[Known]:
    """``count`` comments accepted at the same instant ``at``, as a bulk load does."""
    shape = [
        (
            MATCHING if n % 4 else OTHER,
            SECTIONS[n % len(SECTIONS)],
            STANCES[(n // 2) % len(STANCES)],
        )
        for n in range(start, start + count)
    ]
    submitted = await discussions.comments.submit_many(
        period_id,
        [
            Submission(author=Citizen(secrets.token_hex(8)), section=s, stance=st, text=f"{t} {n}")
            for n, (t, s, st) in enumerate(shape, start)
        ],
        at,
    )
    return [
        Known(str(c.id), at, f"{t} {n}", s, st.value)
        for n, (c, (t, s, st)) in enumerate(zip(submitted, shape, strict=True), start)
    ]


async def _walk(client: httpx.AsyncClient, period_id: str, limit: int, **filters: str) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"q": "деревья", "limit": limit, **filters}
        if cursor is not None:
            params["cursor"] = cursor
        response = await client.get(f"/api/v1/periods/{period_id}/search", params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        assert len(page["items"]) <= limit
        ids += [item["id"] for item in page["items"]]
        cursor = page["next"]
        if cursor is None:
            return ids


def _expected(known: list[Known], **filters: str) -> list[str]:
    chosen = [
        k
        for k in known
        if k.status == "published"
        and k.text.startswith(MATCHING)
        and all(getattr(k, name) == value for name, value in filters.items())
    ]
    return [k.id for k in sorted(chosen, key=lambda k: (k.at, uuid.UUID(k.id)))]


async def test_search_pages_hold_every_match_once_in_submission_order(
    app: Litestar, people: People
) -> None:
    official = people.official()
    discussions: Discussions = app.state.discussions
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        _, elsewhere = await open_period(client, official)
        later = now()
        # A bulk load accepted in one instant (more matches than a page reads at first), then
        # comments accepted earlier than it but stored after it, then one at a time.
        known = await _submit(discussions, period_id, later, 900, 0)
        known += await _submit(
            discussions, period_id, later - dt.timedelta(milliseconds=300), 30, 900
        )
        for n in range(930, 950):
            known += await _submit(discussions, period_id, now(), 1, n)
        await _submit(discussions, elsewhere, later, 20, 0)
        await Comment.update({Comment.status: "published"}).where(
            Comment.period.is_in([period_id, elsewhere])
        )
        # Taken back out of publication: back to the queue, or rejected.
        for k in known[5::11]:
            k.status = "pending"
        for k in known[7::13]:
            k.status = "rejected"
        for status in ("pending", "rejected"):
            ids = [k.id for k in known if k.status == status]
            await Comment.update({Comment.status: status}).where(Comment.id.is_in(ids))
        for k in [k for k in known if k.status == "published"][3:200:17]:
            answered = await client.post(
                f"/api/v1/comments/{k.id}/response",
                json={"disposition": "accepted", "justification": "Учтено."},
                headers=official,
            )
            assert answered.status_code == 204, answered.text
            k.disposition = "accepted"

        for limit, filters in (
            (50, {}),
            (200, {}),
            (7, {"section": "p2-1"}),
            (9, {"stance": "object"}),
            (11, {"section": "p2-2", "stance": "support"}),
            (3, {"disposition": "accepted"}),
        ):
            expected = _expected(known, **filters)
            assert expected
            assert await _walk(client, period_id, limit, **filters) == expected, (limit, filters)
        assert await _walk(client, period_id, 5, disposition="noted") == []
        assert await _walk(client, period_id, 5, section="p9") == []


async def test_moderation_takes_a_comment_out_of_search_and_puts_it_back(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        ids = []
        for text in ("Деревья во дворе", "Сохраните деревья", "Деревьям нужен уход"):
            submitted = await comment(client, period_id, people.citizen(), text)
            ids.append(submitted.json()["id"])
            await moderate(client, official, ids[-1])

        async def found() -> list[str]:
            response = await client.get(
                f"/api/v1/periods/{period_id}/search", params={"q": "деревья", "limit": 2}
            )
            assert response.status_code == 200, response.text
            page = response.json()
            if page["next"] is None:
                return [c["id"] for c in page["items"]]
            rest = await client.get(
                f"/api/v1/periods/{period_id}/search",
                params={"q": "деревья", "limit": 2, "cursor": page["next"]},
            )
            return [c["id"] for c in page["items"] + rest.json()["items"]]

        assert await found() == ids
        await Comment.update({Comment.status: "rejected"}).where(Comment.id == ids[1])
        assert await found() == [ids[0], ids[2]]
        await Comment.update({Comment.status: "published"}).where(Comment.id == ids[1])
        assert await found() == ids
