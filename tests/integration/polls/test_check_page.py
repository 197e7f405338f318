""" "Check my ballot" pins, at render time, the keys the browser verifies with: the log's keys,
the witnesses' keys and quorum, the log's origin and its API path. The receipt this browser
keeps goes into the page only for the ballot being checked."""

from __future__ import annotations

import json
import re
from typing import Any

from services.polls.app import create_app
from shared.config import Settings
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.harness.sign_in import sign_in
from tests.integration.polls._support import SURVEY_QUESTIONS, open_poll, survey_body
from tests.integration.polls.test_receipt_cookie import PAGE, TYUMEN_OFFICIAL, _vote_in_the_page

_PINNED = re.compile(r'<script type="application/json" id="verify-pinned">(.*?)</script>', re.S)
_RECEIPT = re.compile(r"<textarea id=\"receipt-text\"[^>]*>(.*?)</textarea>", re.S)


def _pinned(page: str) -> dict[str, Any]:
    found = _PINNED.search(page)
    assert found is not None, page
    pinned: dict[str, Any] = json.loads(found.group(1))
    return pinned


def _receipt_in(page: str) -> str:
    found = _RECEIPT.search(page)
    assert found is not None
    return found.group(1)


def _code(receipt_page: str) -> str:
    found = re.search(r'id="tracking-code">([^<]+)<', receipt_page)
    assert found is not None
    return found.group(1)


async def test_check_page_and_widget_pin_the_published_keys(
    settings: Settings, people: People
) -> None:
    official = people.official(**TYUMEN_OFFICIAL)  # type: ignore[arg-type]
    body = survey_body(organisation="tyumen-city", questions=SURVEY_QUESTIONS[:1])
    async with app_client(create_app(settings)) as client:
        poll_id = await open_poll(client, official, body)
        keys = (await client.get("/api/v1/keys")).json()
        for path in (f"/polls/{poll_id}/check", f"/embed/polls/{poll_id}?code=ABCD-EFGH-JK"):
            page = await client.get(path, headers=PAGE)
            assert page.status_code == 200
            pinned = _pinned(page.text)
            assert pinned["keys"] == keys["keys"]
            assert pinned["witnesses"] == keys["witnesses"]
            assert pinned["quorum"] == keys["quorum"]
            assert pinned["log"] == f"/api/v1/logs/{poll_id}"
            assert pinned["origin"].endswith(f"/polls/{poll_id}")
            assert 'src="/static/ui/verify-page.js"' in page.text
        # The server's own check stays, labelled, for a browser without scripts.
        fallback = await client.get(f"/polls/{poll_id}/check?code=ABCD-EFGH-JK", headers=PAGE)
        assert 'class="server-check"' in fallback.text
        script = await client.get("/static/ui/verify.js")
        assert script.status_code == 200
        assert "javascript" in script.headers["content-type"]


async def test_the_receipt_kept_by_this_browser_is_offered_for_its_own_ballot_only(
    settings: Settings, people: People
) -> None:
    official = people.official(**TYUMEN_OFFICIAL)  # type: ignore[arg-type]
    body = survey_body(organisation="tyumen-city", questions=SURVEY_QUESTIONS[:1])
    async with app_client(create_app(settings)) as client:
        poll_id = await open_poll(client, official, body)
        await sign_in(client, "citizen-tyumen", next_path="/")
        code = _code(await _vote_in_the_page(client, poll_id))
        note = (await client.get(f"/polls/{poll_id}/receipt.txt")).text

        for query in ("", f"?code={code}", f"?code={code.lower().replace('-', '')}"):
            page = await client.get(f"/polls/{poll_id}/check{query}", headers=PAGE)
            assert _receipt_in(page.text) == note, query
        other = await client.get(f"/polls/{poll_id}/check?code=ABCD-EFGH-JK", headers=PAGE)
        assert _receipt_in(other.text) == ""
