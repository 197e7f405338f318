"""The receipt a browser keeps after casting is gone once the person signs out: the next user
of a shared computer must not find it (a receipt leads to its ballot on the board)."""

from __future__ import annotations

import re

import httpx

from services.polls.app import create_app
from shared.config import Settings
from shared.web.ui.csrf import CSRF_FIELD
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.harness.sign_in import sign_in
from tests.integration.polls._support import SURVEY_QUESTIONS, open_poll, survey_body

TYUMEN_OFFICIAL = {"org": "tyumen-city", "territory": ("71701",)}
PAGE = {"accept": "text/html"}


async def _vote_in_the_page(client: httpx.AsyncClient, poll_id: str) -> str:
    """Cast from the poll's page as a browser would; the receipt page that follows."""
    form = await client.get(f"/polls/{poll_id}", headers=PAGE)
    assert form.status_code == 200, form.text
    token = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', form.text)
    assert token is not None
    cast = await client.post(
        f"/polls/{poll_id}/ballot",
        data={CSRF_FIELD: token.group(1), "q.park": "yes"},
        headers=PAGE,
    )
    assert cast.status_code == 303, cast.text
    receipt = await client.get(cast.headers["location"], headers=PAGE)
    assert receipt.status_code == 200
    return receipt.text


async def test_sign_out_deletes_the_receipt_cookies(settings: Settings, people: People) -> None:
    official = people.official(**TYUMEN_OFFICIAL)  # type: ignore[arg-type]
    body = survey_body(organisation="tyumen-city", questions=SURVEY_QUESTIONS[:1])
    async with app_client(create_app(settings)) as client:
        first = await open_poll(client, official, body)
        second = await open_poll(client, official, body)
        await sign_in(client, "citizen-tyumen", next_path="/")
        for poll_id in (first, second):
            page = await _vote_in_the_page(client, poll_id)
            assert "vmeste/receipt/v1" in page
        assert len([c for c in client.cookies.jar if c.name.startswith("vmeste_receipt")]) == 2

        out = await client.post("/auth/logout", params={"next": "/"}, headers=PAGE)
        assert out.status_code == 303
        cleared = [c for c in out.headers.get_list("set-cookie") if "vmeste_receipt" in c]
        assert len(cleared) == 2
        assert all("Max-Age=0" in c for c in cleared)
        assert not [c for c in client.cookies.jar if c.name.startswith("vmeste_receipt")]
        for poll_id in (first, second):
            again = await client.get(f"/polls/{poll_id}/receipt", headers=PAGE)
            assert again.status_code == 200
            assert "vmeste/receipt/v1" not in again.text
            assert (await client.get(f"/polls/{poll_id}/receipt.txt")).status_code == 404
