"""The discussion page once the report is published, ratings around publication, and the page's
comments in bounded pages with nothing past the last page lost."""

from __future__ import annotations

import re
import uuid
from typing import Any

import msgspec
import pytest
from litestar import Litestar

from services.discussions.pages import citizen
from shared.comment_period.report import CommentReport
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import (
    comment,
    moderate,
    now,
    open_period,
    wait_status,
)

CLASS_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b")


def _report_links(html: str) -> list[str]:
    section = re.search(r"<ul data-report-links>(.*?)</ul>", html, re.S)
    assert section is not None, "the page has no published-report section"
    return re.findall(r'href="([^"]+)"', section.group(1))


async def test_published_report_links_answer_and_late_ratings_are_refused(
    app: Litestar, people: People
) -> None:
    official = people.official()
    early, late = people.citizen(sub="early-" + "3" * 16), people.citizen(sub="late-" + "4" * 16)
    async with app_client(app) as client:
        _, period_id = await open_period(client, official, ends_in=2.5)
        ids = []
        for who, text in ((early, "Сохраните сквер."), (late, "Добавьте освещение.")):
            submitted = await comment(client, period_id, who, text)
            assert submitted.status_code == 201, submitted.text
            ids.append(submitted.json()["id"])
            assert (await moderate(client, official, ids[-1])).status_code == 201
            answered = await client.post(
                f"/api/v1/comments/{ids[-1]}/response",
                json={"disposition": "accepted", "justification": "Учтено."},
                headers=official,
            )
            assert answered.status_code == 204, answered.text
        rated = await client.post(
            f"/api/v1/comments/{ids[0]}/rating", json={"rating": 4}, headers=early
        )
        assert rated.status_code == 204, rated.text

        before = (await client.get(f"/discussions/{period_id}")).text
        assert "data-report-links" not in before

        await wait_status(client, period_id, "closed", within=15)
        published = await client.post(f"/api/v1/periods/{period_id}/report", headers=official)
        assert published.status_code == 201, published.text

        page = await client.get(f"/discussions/{period_id}")
        assert page.status_code == 200
        links = _report_links(page.text)
        assert len(links) == 4
        for link in links:
            answer = await client.get(link)
            assert answer.status_code == 200, (link, answer.status_code)
        assert f'href="/api/v1/periods/{period_id}/report"' not in page.text

        refused = await client.post(
            f"/api/v1/comments/{ids[1]}/rating", json={"rating": 5}, headers=late
        )
        assert refused.status_code == 409, refused.text
        problem = refused.json()
        assert problem["type"].endswith("/rating-after-report")
        assert "published" in problem["title"]
        assert not CLASS_NAME.search(problem["title"] + problem["detail"])

        raw = (await client.get(f"/api/v1/periods/{period_id}/report.json")).content
        report = msgspec.json.decode(raw, type=CommentReport)
        assert sorted(c.rating for c in report.comments if c.rating is not None) == [4]
        mine = (await client.get("/api/v1/me/comments", headers=late)).json()["items"]
        assert mine[0]["rating"] is None
        my_page = await client.get("/my/comments", headers=late)
        assert my_page.status_code == 200
        assert f'action="/my/comments/{ids[1]}/rating"' not in my_page.text
        assert "больше не оцениваются" in my_page.text
        refused_page = await client.get("/my/comments?rating=refused", headers=late)
        assert "Оценка не принята" in refused_page.text


async def test_refusal_titles_are_written_for_people(app: Litestar, people: People) -> None:
    official = people.official()
    author = people.citizen()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        comment_id = (await comment(client, period_id, author)).json()["id"]
        await moderate(client, official, comment_id)
        refusals = [
            await client.post(
                f"/api/v1/comments/{comment_id}/rating", json={"rating": 9}, headers=author
            ),
            await comment(client, period_id, people.citizen(), " "),
            await client.get(f"/api/v1/periods/{period_id}/comments?cursor=%%%"),
        ]
        for refused in refusals:
            assert 400 <= refused.status_code < 500, refused.text
            problem = refused.json()
            assert not CLASS_NAME.search(problem["title"]), problem
            assert not CLASS_NAME.search(problem.get("detail", "")), problem


async def test_the_discussion_page_pages_through_every_comment(
    app: Litestar, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(citizen, "COMMENTS_PAGE", 5)
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        texts = [f"Предложение номер {n:02d} по благоустройству." for n in range(12)]
        for n, text in enumerate(texts):
            section = "p2-1" if n % 4 == 0 else ""
            submitted = await comment(client, period_id, people.citizen(), text, section=section)
            assert submitted.status_code == 201, submitted.text
            assert (await moderate(client, official, submitted.json()["id"])).status_code == 201

        seen: list[str] = []
        url: str | None = f"/discussions/{period_id}"
        pages = 0
        while url is not None:
            page = await client.get(url)
            assert page.status_code == 200, page.text
            pages += 1
            on_page = [t for t in texts if t in page.text]
            assert 0 < len(on_page) <= 5
            seen += on_page
            assert "Опубликовано комментариев: 12." in page.text
            # A section's count is of all its comments, not of those on this page.
            assert "Предложения к этому пункту (3)" in page.text
            later = re.search(r'href="\?after=([^"#]+)#comment-pages" rel="next"', page.text)
            url = f"/discussions/{period_id}?after={later.group(1)}" if later else None
            assert pages < 10
        assert pages == 3
        assert seen == texts

        bad = await client.get(f"/discussions/{period_id}?after=not-a-cursor")
        assert bad.status_code == 400


async def test_a_rating_given_while_the_report_is_made_sends_publishing_round_again(
    app: Litestar, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    official = people.official()
    sub = "midway-" + "5" * 16
    async with app_client(app) as client:
        _, period_id = await open_period(client, official, ends_in=2.5)
        submitted = await comment(client, period_id, people.citizen(sub=sub))
        comment_id = submitted.json()["id"]
        assert (await moderate(client, official, comment_id)).status_code == 201
        answered = await client.post(
            f"/api/v1/comments/{comment_id}/response",
            json={"disposition": "noted", "justification": "Принято к сведению."},
            headers=official,
        )
        assert answered.status_code == 204
        await wait_status(client, period_id, "closed", within=15)

        discussions = app.state.discussions
        certify = discussions.reports.logs.certify
        rated: list[bool] = []

        async def certify_while_the_author_rates(*args: Any, **kwargs: Any) -> str:
            certificate: str = await certify(*args, **kwargs)
            if not rated:
                await discussions.responses.rate(
                    uuid.UUID(comment_id), author=sub, rating=3, now=now()
                )
                rated.append(True)
            return certificate

        monkeypatch.setattr(discussions.reports.logs, "certify", certify_while_the_author_rates)
        url = f"/api/v1/periods/{period_id}/report"
        first = await client.post(url, headers=official)
        assert first.status_code == 409, first.text
        assert first.json()["type"].endswith("/report-changed")
        assert (await client.get(f"/api/v1/periods/{period_id}")).json()["status"] == "closed"

        second = await client.post(url, headers=official)
        assert second.status_code == 201, second.text
        raw = (await client.get(f"/api/v1/periods/{period_id}/report.json")).content
        report = msgspec.json.decode(raw, type=CommentReport)
        assert [c.rating for c in report.comments] == [3]
