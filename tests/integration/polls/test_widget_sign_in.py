"""The widget's sign-in popup: /auth/widget-done hands a citizen-only token, for the exact
origin of the platform's service whose widget asked, to the window that opened it; the token
votes through the API as ``Authorization: Bearer``, with no cookie and no CSRF token."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from services.polls.app import create_app
from shared.config import Settings
from shared.log.note import Verifier
from shared.log.receipt import verify_receipt
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.harness.sign_in import sign_in
from tests.integration.polls._support import SURVEY_QUESTIONS, cast, open_poll, survey_body
from tests.integration.polls.test_receipt_cookie import PAGE, TYUMEN_OFFICIAL

NONCE = "n0nce-of-the-widget-1234"
_HANDOVER = re.compile(r'<script type="application/json" id="widget-handover">(.*?)</script>', re.S)
_CONFIG = re.compile(r'<script type="application/json" id="widget-config">(.*?)</script>', re.S)


def _json_in(pattern: re.Pattern[str], page: str) -> dict[str, Any]:
    found = pattern.search(page)
    assert found is not None, page
    data: dict[str, Any] = json.loads(found.group(1))
    return data


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


async def _handover(client: httpx.AsyncClient, service: str = "polls") -> dict[str, Any]:
    done = await client.get(
        "/auth/widget-done", params={"service": service, "nonce": NONCE}, headers=PAGE
    )
    assert done.status_code == 200, done.text
    assert done.headers["cross-origin-opener-policy"] == "unsafe-none"
    assert done.headers["cache-control"] == "no-store"
    return _json_in(_HANDOVER, done.text)


async def test_the_popup_signs_in_through_auth_login_and_comes_back_to_hand_the_token(
    settings: Settings,
) -> None:
    async with app_client(create_app(settings)) as client:
        first = await client.get(
            "/auth/widget-done",
            params={"service": "polls", "nonce": NONCE},
            headers=PAGE,
            follow_redirects=False,
        )
        assert first.status_code == 303
        login = urlsplit(first.headers["location"])
        assert login.path == "login"  # relative: /auth/login under any published prefix
        back = parse_qs(login.query)["next"][0]
        polls = settings.public_urls["polls"].rstrip("/")
        assert back == f"{polls}/auth/widget-done?service=polls&nonce={NONCE}"

        # Every step of the popup keeps its opener (COOP unsafe-none), unlike other pages.
        start = await client.get("/auth/login", params={"next": back}, follow_redirects=False)
        assert start.headers["cross-origin-opener-policy"] == "unsafe-none"
        dev_page = await client.get(start.headers["location"])
        assert dev_page.headers["cross-origin-opener-policy"] == "unsafe-none"
        state = re.search(r'name="state" value="([^"]+)"', dev_page.text)
        assert state is not None
        done = await client.get(
            "/auth/callback",
            params={"code": "citizen-tyumen", "state": state.group(1)},
            follow_redirects=False,
        )
        assert done.status_code == 303
        assert done.headers["location"] == back
        assert done.headers["cross-origin-opener-policy"] == "unsafe-none"
        home = await client.get("/", headers=PAGE)
        assert home.headers["cross-origin-opener-policy"] == "same-origin"

        handover = await _handover(client)
        assert handover["target_origin"] == _origin(polls)
        message = handover["message"]
        assert message["type"] == "vmeste:widget-token"
        assert message["nonce"] == NONCE
        me = await client.get("/me", headers={"Authorization": f"Bearer {message['token']}"})
        assert me.status_code == 200
        assert me.json()["roles"] == ["citizen"]


async def test_the_token_goes_only_to_the_platforms_own_service_origins(
    settings: Settings,
) -> None:
    async with app_client(create_app(settings)) as client:
        await sign_in(client, "citizen-tyumen")
        discussions = await _handover(client, "discussions")
        assert discussions["target_origin"] == _origin(settings.public_urls["discussions"])
        for service in ("https://evil.example", "*", "", "polls.evil"):
            refused = await client.get(
                "/auth/widget-done", params={"service": service, "nonce": NONCE}
            )
            assert refused.status_code == 400, service
            assert "token" not in refused.text
        for nonce in ("short", "x" * 65, "bad nonce with spaces!", ""):
            refused = await client.get(
                "/auth/widget-done", params={"service": "polls", "nonce": nonce}
            )
            assert refused.status_code == 400, nonce


async def test_an_officials_widget_token_carries_no_official_powers(
    settings: Settings,
) -> None:
    async with app_client(create_app(settings)) as client:
        session_token = await sign_in(client, "official-tyumen")
        handed = (await _handover(client))["message"]["token"]
        bearer = {"Authorization": f"Bearer {handed}"}
        me = (await client.get("/me", headers=bearer)).json()
        assert me["roles"] == ["citizen"]
        assert me["organisations"] == []
        created = await client.post(
            "/api/v1/polls", json=survey_body(organisation="tyumen-city"), headers=bearer
        )
        assert created.status_code == 403, created.text
        # The person's own session keeps its powers.
        own = await client.get("/me", headers={"Authorization": f"Bearer {session_token}"})
        assert "official" in own.json()["roles"]


async def test_the_widget_token_votes_by_bearer_and_signing_out_with_it_ends_the_session(
    settings: Settings, people: People
) -> None:
    official = people.official(**TYUMEN_OFFICIAL)  # type: ignore[arg-type]
    body = survey_body(organisation="tyumen-city", questions=SURVEY_QUESTIONS[:1])
    async with app_client(create_app(settings)) as client:
        poll_id = await open_poll(client, official, body)
        session_token = await sign_in(client, "citizen-tyumen")
        handed = (await _handover(client))["message"]["token"]
        client.cookies.clear()  # the frame has no cookie of ours
        voted = await cast(client, {"Authorization": f"Bearer {handed}"}, poll_id, {"park": "yes"})
        assert voted.status_code == 201, voted.text
        receipt = voted.json()
        keys = (await client.get("/api/v1/keys")).json()["keys"]
        parsed, _ = verify_receipt(receipt["receipt"], [Verifier.parse(k) for k in keys])
        assert parsed.tracking_code == receipt["tracking_code"]
        assert parsed.origin.endswith(f"/polls/{poll_id}")
        again = await cast(client, {"Authorization": f"Bearer {handed}"}, poll_id, {"park": "no"})
        assert again.status_code == 409
        assert again.json()["tracking_code"] == receipt["tracking_code"]

        ended = await client.post("/auth/logout", headers={"Authorization": f"Bearer {handed}"})
        assert ended.status_code == 204
        for token in (handed, session_token):
            me = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 401


async def test_the_widget_of_an_open_poll_carries_its_ballot_and_sign_in(
    settings: Settings, people: People
) -> None:
    official = people.official(**TYUMEN_OFFICIAL)  # type: ignore[arg-type]
    body = survey_body(organisation="tyumen-city", questions=SURVEY_QUESTIONS[:1])
    async with app_client(create_app(settings)) as client:
        poll_id = await open_poll(client, official, body)
        widget = await client.get(f"/embed/polls/{poll_id}", headers=PAGE)
        assert widget.status_code == 200
        config = _json_in(_CONFIG, widget.text)
        polls = settings.public_urls["polls"].rstrip("/")
        assert config["sign_in_url"] == f"{polls}/auth/widget-done"
        assert config["sign_in_origin"] == _origin(polls)
        assert config["service"] == "polls"
        assert config["submit_url"] == f"/api/v1/polls/{poll_id}/ballots"
        assert config["messages"]["already-voted"]
        assert 'data-question="park" data-kind="single_choice"' in widget.text
        assert 'name="q.park"' in widget.text
        assert "frame-ancestors" in widget.headers["content-security-policy"]


async def test_the_widget_body_rendered_once_shows_each_language_and_every_change_at_once(
    settings: Settings, people: People
) -> None:
    official = people.official(**TYUMEN_OFFICIAL)  # type: ignore[arg-type]
    body = survey_body(organisation="tyumen-city", questions=SURVEY_QUESTIONS[:1])
    async with app_client(create_app(settings)) as client:
        poll_id = await open_poll(client, official, body)
        widget = f"/embed/polls/{poll_id}"
        for _ in range(2):  # the second time from the kept part, in each language
            english = (await client.get(widget, params={"lang": "en"}, headers=PAGE)).text
            russian = (await client.get(widget, params={"lang": "ru"}, headers=PAGE)).text
            assert "Take part on Vmeste" in english
            assert "Take part on Vmeste" not in russian
            assert "status-open" in english
            assert "status-open" in russian
            assert "data-widget-ballot" in russian

        # A code's check is the asker's own, never kept for the next visitor.
        checked = await client.get(widget, params={"code": "ABCD-EFGH-JK"}, headers=PAGE)
        assert "server-check" in checked.text
        assert "server-check" not in (await client.get(widget, headers=PAGE)).text

        cancelled = await client.post(
            f"/api/v1/polls/{poll_id}/cancel", json={"reason": "Rebuilt"}, headers=official
        )
        assert cancelled.status_code == 200, cancelled.text
        after = (await client.get(widget, params={"lang": "en"}, headers=PAGE)).text
        assert "status-cancelled" in after
        assert "data-widget-ballot" not in after
