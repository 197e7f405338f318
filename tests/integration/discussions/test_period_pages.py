"""Officials' page of a comment period: announce, extend with a reason and publish the report
from it, refused to exactly the people the API refuses; the log of extensions on the
official's and the citizens' pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import httpx
from litestar import Litestar

from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._forms import PAGE, send_form
from tests.integration.discussions._support import (
    announce_period,
    comment,
    create_draft,
    moderate,
    now,
    open_period,
    wait_status,
)

REASON = "Много обращений жителей: продлеваем на две недели"


def _field(moment: dt.datetime) -> str:
    """A moment as a ``datetime-local`` field sends it (UTC, to the minute)."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


async def _period(client: httpx.AsyncClient, period_id: str) -> dict[str, Any]:
    return dict((await client.get(f"/api/v1/periods/{period_id}")).json())


async def _extensions(client: httpx.AsyncClient, period_id: str) -> list[dict[str, Any]]:
    return list((await client.get(f"/api/v1/periods/{period_id}/extensions")).json())


async def test_an_official_extends_a_period_and_its_reason_is_shown_to_everyone(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        before = await client.get(f"/manage/periods/{period_id}", headers={**official, **PAGE})
        assert before.status_code == 200
        assert "data-extend" in before.text
        assert "Обсуждение не продлевалось." in before.text
        empty = (await client.get(f"/discussions/{period_id}")).text
        assert "data-extensions" not in empty
        assert "data-comment-search" not in empty  # nothing published to search yet

        new_end = (now() + dt.timedelta(days=14)).replace(second=0, microsecond=0)
        sent = await send_form(
            client,
            f"/manage/periods/{period_id}/extensions",
            official,
            ends_at=_field(new_end),
            reason=REASON,
        )
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/manage/periods/{period_id}#extensions"

        period = await _period(client, period_id)
        assert dt.datetime.fromisoformat(period["ends_at"]) == new_end
        log = await _extensions(client, period_id)
        assert [(e["reason"], dt.datetime.fromisoformat(e["new_end"])) for e in log] == [
            (REASON, new_end)
        ]
        public = await client.get(f"/discussions/{period_id}")
        assert "data-extensions" in public.text
        assert REASON in public.text
        assert new_end.strftime("%Y-%m-%d %H:%M UTC") in public.text
        english = await client.get(f"/discussions/{period_id}?lang=en")
        assert "Extensions of the discussion" in english.text
        managed = await client.get(f"/manage/periods/{period_id}", headers={**official, **PAGE})
        assert REASON in managed.text
        managed_en = await client.get(
            f"/manage/periods/{period_id}?lang=en", headers={**official, **PAGE}
        )
        assert "New end of the discussion (UTC)" in managed_en.text
        assert "Extensions of the discussion" in managed_en.text


async def test_a_refused_extension_is_explained_on_the_page_and_changes_nothing(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        end = (await _period(client, period_id))["ends_at"]
        url = f"/manage/periods/{period_id}/extensions"
        later = _field(now() + dt.timedelta(days=3))

        short = await send_form(client, url, official, ends_at=later, reason="  да  ")
        assert short.status_code == 400
        assert "Напишите причину продления" in short.text
        assert "да" in short.text  # what was typed stays in the form

        too_long = await send_form(client, url, official, ends_at=later, reason="ы" * 2001)
        assert too_long.status_code == 400

        earlier = await send_form(
            client, url, official, ends_at=_field(now() + dt.timedelta(minutes=5)), reason=REASON
        )
        assert earlier.status_code == 409
        assert "сокращать обсуждение нельзя" in earlier.text

        no_end = await send_form(client, url, official, ends_at="", reason=REASON)
        assert no_end.status_code == 422
        assert "Укажите новый срок окончания обсуждения." in no_end.text
        assert REASON in no_end.text

        assert await _extensions(client, period_id) == []
        assert (await _period(client, period_id))["ends_at"] == end


async def test_only_the_organisations_managers_act_on_a_period_from_its_page(
    app: Litestar, people: People
) -> None:
    official = people.official()
    refused = {
        "citizen": people.citizen(),
        "official of another organisation": people.official("other"),
        "moderator without discussions:manage": people.official(
            permissions=("moderate", "respond")
        ),
    }
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        draft = await create_draft(client, official)
        unannounced = await client.post(
            f"/api/v1/drafts/{draft['id']}/periods",
            json={
                "starts_at": (now() + dt.timedelta(days=1)).isoformat(),
                "ends_at": (now() + dt.timedelta(days=9)).isoformat(),
            },
            headers=official,
        )
        draft_period = unannounced.json()["id"]
        end = (await _period(client, period_id))["ends_at"]
        extension = {"ends_at": _field(now() + dt.timedelta(days=30)), "reason": REASON}
        for who, headers in refused.items():
            actions = {
                "page": await client.get(
                    f"/manage/periods/{period_id}", headers={**headers, **PAGE}
                ),
                "extend": await send_form(
                    client, f"/manage/periods/{period_id}/extensions", headers, **extension
                ),
                "publish": await send_form(client, f"/manage/periods/{period_id}/report", headers),
                "announce": await send_form(
                    client, f"/manage/periods/{draft_period}/announce", headers
                ),
            }
            for action, answer in actions.items():
                assert answer.status_code == 403, (who, action, answer.status_code)
                assert "Недостаточно прав" in answer.text, (who, action)
            # The API refuses the same people.
            api = await client.post(
                f"/api/v1/periods/{period_id}/extensions",
                json={"ends_at": (now() + dt.timedelta(days=30)).isoformat(), "reason": REASON},
                headers=headers,
            )
            assert api.status_code == 403, (who, api.text)

        client.cookies.clear()
        no_token = await client.post(
            f"/manage/periods/{period_id}/extensions",
            data=extension,
            headers={**official, **PAGE},
            follow_redirects=False,
        )
        assert no_token.status_code == 403
        assert "Форма устарела" in no_token.text

        assert await _extensions(client, period_id) == []
        assert (await _period(client, period_id))["ends_at"] == end
        assert (await _period(client, period_id))["status"] == "open"
        assert (await _period(client, draft_period))["status"] == "draft"


async def test_an_official_announces_a_period_from_its_page(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        created = await client.post(
            f"/api/v1/drafts/{draft['id']}/periods",
            json={
                "starts_at": (now() + dt.timedelta(days=1)).isoformat(),
                "ends_at": (now() + dt.timedelta(days=9)).isoformat(),
            },
            headers=official,
        )
        period_id = created.json()["id"]
        url = f"/manage/periods/{period_id}/announce"
        announced = await send_form(client, url, official)
        assert announced.status_code == 303, announced.text
        assert (await _period(client, period_id))["status"] == "announced"
        again = await send_form(client, url, official)
        assert again.status_code == 409
        assert "Обсуждение уже объявлено." in again.text


async def test_an_official_publishes_the_report_of_a_closed_period_from_its_page(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official, ends_in=2.5)
        submitted = await comment(client, period_id, people.citizen())
        assert submitted.status_code == 201, submitted.text
        url = f"/manage/periods/{period_id}/report"

        still_open = await send_form(client, url, official)
        assert still_open.status_code == 409
        assert "после окончания обсуждения" in still_open.text

        await wait_status(client, period_id, "closed", within=15)
        page = await client.get(f"/manage/periods/{period_id}", headers={**official, **PAGE})
        assert "data-publish-report" in page.text
        assert "data-extend" not in page.text

        pending = await send_form(client, url, official)
        assert pending.status_code == 409
        assert "Не все предложения прошли модерацию" in pending.text
        assert (await _period(client, period_id))["status"] == "closed"

        assert (await moderate(client, official, submitted.json()["id"])).status_code == 201
        published = await send_form(client, url, official)
        assert published.status_code == 303, published.text
        assert published.headers["location"] == f"/manage/periods/{period_id}#report"
        assert (await _period(client, period_id))["status"] == "report_published"
        report = await client.get(f"/api/v1/periods/{period_id}/report.json")
        assert report.status_code == 200
        page = await client.get(f"/manage/periods/{period_id}", headers={**official, **PAGE})
        assert "data-report-links" in page.text
        assert "data-publish-report" not in page.text

        twice = await send_form(client, url, official)
        assert twice.status_code == 409


async def test_an_official_changes_the_dates_of_an_announced_period_until_it_opens(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        period_id = await announce_period(
            client, official, draft["id"], starts_in=3600, ends_in=7200
        )
        page = await client.get(f"/manage/periods/{period_id}", headers={**official, **PAGE})
        assert "data-reschedule" in page.text
        start = (now() + dt.timedelta(days=2)).replace(second=0, microsecond=0)
        end = start + dt.timedelta(days=30)
        sent = await send_form(
            client,
            f"/manage/periods/{period_id}/schedule",
            official,
            starts_at=_field(start),
            ends_at=_field(end),
        )
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/manage/periods/{period_id}"
        period = await _period(client, period_id)
        assert dt.datetime.fromisoformat(period["starts_at"]) == start
        assert dt.datetime.fromisoformat(period["ends_at"]) == end

        # An end before the start is refused on the page, in its words, and changes nothing.
        backwards = await send_form(
            client,
            f"/manage/periods/{period_id}/schedule",
            official,
            starts_at=_field(end),
            ends_at=_field(start),
        )
        assert backwards.status_code == 400
        assert "data-reschedule" in backwards.text
        assert dt.datetime.fromisoformat((await _period(client, period_id))["ends_at"]) == end
        missing = await send_form(
            client, f"/manage/periods/{period_id}/schedule", official, starts_at="", ends_at=""
        )
        assert missing.status_code == 422
        assert "Укажите начало и окончание обсуждения." in missing.text

        # Another organisation's official is refused as the API refuses them.
        other = await send_form(
            client,
            f"/manage/periods/{period_id}/schedule",
            people.official("other"),
            starts_at=_field(start + dt.timedelta(days=1)),
            ends_at=_field(end),
        )
        assert other.status_code in (403, 404)
        assert dt.datetime.fromisoformat((await _period(client, period_id))["starts_at"]) == start


async def test_an_open_periods_dates_are_not_offered_for_change(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        page = await client.get(f"/manage/periods/{period_id}", headers={**official, **PAGE})
        assert "data-reschedule" not in page.text
        refused = await send_form(
            client,
            f"/manage/periods/{period_id}/schedule",
            official,
            starts_at=_field(now() + dt.timedelta(days=1)),
            ends_at=_field(now() + dt.timedelta(days=9)),
        )
        assert refused.status_code == 409
