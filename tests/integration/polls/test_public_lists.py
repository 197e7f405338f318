"""The public pages that list polls read a bounded number of them, the latest to open."""

from __future__ import annotations

import pytest
from litestar import Litestar

from services.polls.pages import citizen
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.polls._support import create, survey_body


async def test_the_audit_page_lists_at_most_the_latest_polls(
    app: Litestar, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(citizen, "PUBLIC_LIST_LIMIT", 2)
    official = people.official()
    async with app_client(app) as client:
        ids = []
        for hours in (1, 3, 2):
            poll_id = await create(
                client,
                official,
                survey_body(opens_in=hours * 3600.0, closes_in=hours * 3600.0 + 600),
            )
            scheduled = await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official)
            assert scheduled.status_code == 200, scheduled.text
            ids.append(poll_id)
        page = await client.get("/audit")
        assert page.status_code == 200
        listed = [poll_id for poll_id in ids if poll_id in page.text]
        assert listed == [ids[1], ids[2]]  # the two that open last
