"""The builder's eligibility: a territory within the organisation's, a closed roll uploaded
from a file, and the anonymity batch, each checked through the API after the page saved it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from litestar import Litestar

from shared.web.ui.csrf import CSRF_FIELD
from tests.harness.asgi import app_client
from tests.harness.people import KAZAN, People
from tests.integration.discussions._forms import PAGE, csrf_token_of

MEMBER_A = "a1" * 32
MEMBER_B = "b2" * 32


def _fields(**extra: str) -> dict[str, str]:
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    return {
        "organisation": "kazan",
        "title": "Сквер",
        "kind": "survey",
        "opens_at": start.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (start + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        "min_age": "18",
        "anonymity_batch": "25",
        "questions-0-kind": "single_choice",
        "questions-0-text": "Нужен ли сквер?",
        "questions-0-options": "Да\nНет",
        **extra,
    }


async def _post(
    client: httpx.AsyncClient,
    url: str,
    who: dict[str, str],
    fields: dict[str, str],
    roll: bytes | None = None,
) -> httpx.Response:
    token = await csrf_token_of(client, who)
    files: dict[str, Any] = {"roll_file": ("roll.csv", roll or b"", "text/csv")}
    if roll is None:
        files = {"roll_file": ("", b"", "application/octet-stream")}
    return await client.post(
        url,
        data={CSRF_FIELD: token, **fields},
        files=files,
        headers={**who, **PAGE},
        follow_redirects=False,
    )


async def _mine(client: httpx.AsyncClient, who: dict[str, str]) -> list[dict[str, Any]]:
    return list((await client.get("/api/v1/polls", headers=who)).json()["items"])


async def test_the_builder_saves_a_territory_a_roll_file_and_the_anonymity_batch(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        form = await client.get("/manage/polls/new", headers={**official, **PAGE})
        assert form.status_code == 200
        # No address register is imported here: the codes are typed.
        for marker in ("data-territory", "data-no-register", "data-roll", 'name="anonymity_batch"'):
            assert marker in form.text
        roll = f"sub\n{MEMBER_A}\n{MEMBER_B.upper()}, {MEMBER_A}\n".encode()
        saved = await _post(
            client, "/manage/polls/new", official, _fields(territory_other=KAZAN), roll
        )
        assert saved.status_code == 303, saved.text
        poll_id = saved.headers["location"].rsplit("/", 1)[1]
        poll = (await client.get(f"/api/v1/polls/{poll_id}", headers=official)).json()
        assert poll["eligibility"]["territory"] == [KAZAN]
        assert poll["eligibility"]["roll"] == [MEMBER_A, MEMBER_B]
        assert poll["anonymity_batch"] == 25
        assert poll["closed_roll"] is True

        # Editing the draft keeps the roll unless asked, and can remove it.
        edit = _fields(territory_other="")
        kept = await _post(client, f"/manage/polls/{poll_id}/edit", official, edit)
        assert kept.status_code == 303, kept.text
        poll = (await client.get(f"/api/v1/polls/{poll_id}", headers=official)).json()
        assert poll["eligibility"]["roll"] == [MEMBER_A, MEMBER_B]
        assert poll["eligibility"]["territory"] == []
        page = await client.get(f"/manage/polls/{poll_id}/edit", headers={**official, **PAGE})
        assert 'data-roll-size="2"' in page.text
        removed = await _post(
            client, f"/manage/polls/{poll_id}/edit", official, {**edit, "roll_remove": "on"}
        )
        assert removed.status_code == 303
        poll = (await client.get(f"/api/v1/polls/{poll_id}", headers=official)).json()
        assert poll["eligibility"]["roll"] is None


async def test_a_bad_roll_file_or_a_territory_outside_the_organisations_creates_nothing(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        before = len(await _mine(client, official))
        bad_roll = await _post(
            client, "/manage/polls/new", official, _fields(), b"not-a-pseudonym\n"
        )
        assert bad_roll.status_code == 422
        assert "Список участников" in bad_roll.text
        empty_roll = await _post(client, "/manage/polls/new", official, _fields(), b"sub\n")
        assert empty_roll.status_code == 422
        outside = await _post(
            client, "/manage/polls/new", official, _fields(territory_other="45380000001")
        )
        assert outside.status_code == 422
        assert "45380000001" in outside.text
        garbage = await _post(
            client, "/manage/polls/new", official, _fields(territory_other="Казань")
        )
        assert garbage.status_code == 422
        assert "ОКТМО" in garbage.text
        assert len(await _mine(client, official)) == before
