"""The discussion page's search form: text, section, stance and decision, in linkable GET
queries, with the same comments as the API finds for the same query, paged with nothing lost
and a message when nothing matches."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest
from litestar import Litestar

from services.discussions.pages import citizen
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._forms import comment_ids
from tests.integration.discussions._support import comment, moderate, open_period

COMMENTS = [
    ("Сохраните деревья во дворе", "p2-1", "object"),
    ("Деревья нужны у школы", "", "support"),
    ("Газоны без деревья не живут", "p2-2", "object"),
    ("Деревья рубить нельзя", "p2-1", "object"),
    ("Уберите парковку с газона", "p1", "propose_wording"),
    ("Деревья и скамейки во дворе", "", "object"),
]
"""Text, section and stance; the second is accepted, the fourth stays unmoderated."""


async def _discussion(
    app: Litestar, people: People, client: httpx.AsyncClient
) -> tuple[str, list[str]]:
    official = people.official()
    _, period_id = await open_period(client, official)
    ids = []
    for n, (text, section, stance) in enumerate(COMMENTS):
        wording = "Новая редакция пункта." if stance == "propose_wording" else ""
        submitted = await comment(
            client,
            period_id,
            people.citizen(),
            text,
            section=section,
            stance=stance,
            proposed_wording=wording,
        )
        assert submitted.status_code == 201, submitted.text
        ids.append(submitted.json()["id"])
        if n != 3:
            assert (await moderate(client, official, ids[-1])).status_code == 201
    answered = await client.post(
        f"/api/v1/comments/{ids[1]}/response",
        json={"disposition": "accepted", "justification": "Учтено."},
        headers=official,
    )
    assert answered.status_code == 204, answered.text
    return period_id, ids


def _api_query(page_query: dict[str, str]) -> tuple[str, dict[str, str]]:
    """The API route and query the page's query stands for ("-" is the API's empty value)."""
    api = {"section" if k == "about" else k: ("" if v == "-" else v) for k, v in page_query.items()}
    return ("search" if "q" in api else "comments"), api


async def _api_ids(client: httpx.AsyncClient, period_id: str, query: dict[str, str]) -> list[str]:
    route, api = _api_query(query)
    found: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {**api, "limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await client.get(f"/api/v1/periods/{period_id}/{route}", params=params)
        assert response.status_code == 200, response.text
        found += [c["id"] for c in response.json()["items"]]
        cursor = response.json()["next"]
        if cursor is None:
            return found


async def test_the_search_form_shows_what_the_api_finds_for_the_same_query(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        period_id, ids = await _discussion(app, people, client)
        queries = [
            {"q": "деревья"},
            {"stance": "object"},
            {"q": "деревья", "stance": "object"},
            {"about": "p2-1"},
            {"about": "-"},
            {"q": "деревья", "about": "-"},
            {"disposition": "accepted"},
            {"disposition": "-", "stance": "support"},
            {"q": "газона", "stance": "propose_wording", "about": "p1"},
        ]
        for query in queries:
            page = await client.get(f"/discussions/{period_id}", params=query)
            assert page.status_code == 200, (query, page.text)
            shown = comment_ids(page.text)
            assert shown == await _api_ids(client, period_id, query), query
            assert ids[3] not in shown  # never an unmoderated comment
            for name, value in query.items():
                # The form shows the query it answers, so it can be refined.
                if name == "q":
                    assert f'name="q" maxlength="200" value="{value}"' in page.text
                else:
                    assert f'<option value="{value}" selected>' in page.text, (name, value)
        assert comment_ids(
            (await client.get(f"/discussions/{period_id}", params={"q": "деревья"})).text
        ) == [ids[0], ids[1], ids[2], ids[5]]


async def test_an_empty_result_and_a_refused_search_are_explained(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        period_id, _ = await _discussion(app, people, client)
        url = f"/discussions/{period_id}"

        nothing = await client.get(url, params={"q": "фонтан"})
        assert nothing.status_code == 200
        assert comment_ids(nothing.text) == []
        assert "Среди опубликованных предложений ничего не найдено." in nothing.text

        no_word = await client.get(url, params={"q": "!!!"})
        assert no_word.status_code == 400
        assert "Введите хотя бы одно слово для поиска." in no_word.text
        assert "ничего не найдено" not in no_word.text

        for bad in ({"stance": "angry"}, {"disposition": "maybe"}):
            refused = await client.get(url, params=bad)
            assert refused.status_code == 400, bad
            assert "Выберите условия поиска из списков." in refused.text

        too_long = await client.get(url, params={"q": "д" * 201})
        assert too_long.status_code == 400

        # Without a search the draft lists its comments by section, as before.
        plain = await client.get(url)
        assert "Найденные предложения" not in plain.text
        assert len(comment_ids(plain.text)) == 5

        english = await client.get(url, params={"q": "фонтан", "lang": "en"})
        assert "No published comment matches the search." in english.text


async def test_found_comments_are_paged_with_their_filters_and_nothing_lost(
    app: Litestar, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(citizen, "COMMENTS_PAGE", 2)
    async with app_client(app) as client:
        period_id, _ = await _discussion(app, people, client)
        official = people.official()
        for n in range(3):
            extra = await comment(
                client, period_id, people.citizen(), f"Деревья вдоль улицы {n}", stance="object"
            )
            assert (await moderate(client, official, extra.json()["id"])).status_code == 201
        query = {"q": "деревья", "stance": "object"}
        expected = await _api_ids(client, period_id, query)
        assert len(expected) == 6

        seen: list[str] = []
        url: str | None = f"/discussions/{period_id}?{urlencode(query)}"
        pages = 0
        while url is not None:
            page = await client.get(url)
            assert page.status_code == 200, page.text
            pages += 1
            seen += comment_ids(page.text)
            assert ("К первым найденным предложениям" in page.text) == (pages > 1)
            later = re.search(r'href="(\?[^"]+)" rel="next"', page.text)
            if later is not None:
                link = later.group(1).replace("&amp;", "&")
                assert link.startswith(f"?{urlencode(query)}&after="), link
                url = f"/discussions/{period_id}{link.split('#')[0]}"
            else:
                url = None
            assert pages < 10
        assert pages == 3
        assert seen == expected
