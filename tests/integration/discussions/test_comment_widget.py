"""The comment widget of an open period carries the comment form and what its script needs to
sign in through the sign-in component's popup and send by Bearer; a period not open yet keeps
the plain link to the discussion."""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from litestar import Litestar

from services.discussions.pages import widget as widget_module
from shared.config import Settings
from tests.harness.asgi import app_client
from tests.harness.clock import FakeClock
from tests.harness.people import People
from tests.integration.discussions._forms import PAGE
from tests.integration.discussions._support import (
    announce_period,
    create_draft,
    now,
    open_period,
)

_CONFIG = re.compile(r'<script type="application/json" id="widget-config">(.*?)</script>', re.S)


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _config(page: str) -> dict[str, Any]:
    found = _CONFIG.search(page)
    assert found is not None, page
    config: dict[str, Any] = json.loads(found.group(1))
    return config


async def test_the_widget_of_an_open_period_takes_comments_by_bearer(
    app: Litestar, people: People, settings: Settings
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft, period_id = await open_period(client, official)
        widget = await client.get(f"/embed/drafts/{draft['id']}", headers=PAGE)
        assert widget.status_code == 200
        config = _config(widget.text)
        polls = settings.public_urls["polls"].rstrip("/")
        assert config["service"] == "discussions"
        assert config["kind"] == "comment"
        assert config["sign_in_url"] == f"{polls}/auth/widget-done"
        assert config["sign_in_origin"] == _origin(polls)
        assert config["submit_url"] == f"/api/v1/periods/{period_id}/comments"
        assert config["check_url"].endswith(f"/discussions/{period_id}/check")
        assert config["messages"]["period-not-open"]
        assert 'name="stance"' in widget.text
        assert 'src="/static/ui/widget.js"' in widget.text

        # What the widget's script sends, with the token it holds and no cookie or CSRF token.
        sent = await client.post(
            config["submit_url"],
            json={
                "section": "",
                "stance": "support",
                "text": "Поддерживаю.",
                "proposed_wording": "",
            },
            headers=people.citizen(),
        )
        assert sent.status_code == 201, sent.text
        assert sent.json()["tracking_code"]


async def test_a_period_not_open_yet_keeps_the_link_to_the_discussion(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        await announce_period(client, official, draft["id"], starts_in=3600.0)
        widget = await client.get(f"/embed/drafts/{draft['id']}", headers=PAGE)
        assert widget.status_code == 200
        assert _CONFIG.search(widget.text) is None
        assert "widget.js" not in widget.text
        assert "/discussions/" in widget.text


async def test_the_widget_shows_a_change_of_its_period_within_a_second(
    app: Litestar, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(widget_module, "_clock", clock)
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        widget = f"/embed/drafts/{draft['id']}"
        # No period yet: nothing to show, and nothing kept that would hide the first one.
        assert (await client.get(widget, headers=PAGE)).status_code == 404
        period_id = await announce_period(
            client, official, draft["id"], starts_in=3600.0, ends_in=7200.0
        )
        before = (await client.get(widget, headers=PAGE)).text
        assert "status-announced" in before

        extended = await client.post(
            f"/api/v1/periods/{period_id}/extensions",
            json={
                "ends_at": (now() + dt.timedelta(days=9)).isoformat(),
                "reason": "Много обращений жителей",
            },
            headers=official,
        )
        assert extended.status_code == 201, extended.text
        clock.now += 0.9
        assert (await client.get(widget, headers=PAGE)).text == before
        clock.now += 0.2
        after = (await client.get(widget, headers=PAGE)).text
        assert after != before
        assert "status-announced" in after
