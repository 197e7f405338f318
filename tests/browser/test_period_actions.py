"""An official extends an open comment period with a reason (which citizens then read on the
discussion page) and publishes the report of a closed one, from the period's page; citizens,
a moderator without discussions:manage and an official of another organisation are refused
the page and every one of its forms, and nothing changes."""

from __future__ import annotations

import datetime as dt
import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from shared.web.ui.csrf import CSRF_FIELD
from tests.browser.conftest import Stack, api_post, sign_in

MARKDOWN = "# 1. Общие положения\nПравила уборки дворов.\n# 2. Сроки\nУборка ежедневно.\n"
REASON = "Поступило много обращений жителей — продлеваем на две недели"


def _period(context: Any, base: str, *, ends_in: dt.timedelta) -> str:
    """An announced period of a new draft of tyumen-city that opens at once, through the API
    with the context's (official's) session."""
    draft = api_post(
        context,
        f"{base}/api/v1/drafts",
        data={
            "organisation": "tyumen-city",
            "title": f"Правила уборки дворов {time.monotonic_ns()}",
            "kind": "постановление",
            "markdown": MARKDOWN,
        },
    )
    assert draft.status == 201, draft.text()
    now = dt.datetime.now(dt.UTC)
    period = api_post(
        context,
        f"{base}/api/v1/drafts/{draft.json()['id']}/periods",
        data={
            "starts_at": (now - dt.timedelta(seconds=1)).isoformat(),
            "ends_at": (now + ends_in).isoformat(),
            "eligibility": {"min_age": 14},
        },
    )
    assert period.status == 201, period.text()
    period_id = str(period.json()["id"])
    assert api_post(context, f"{base}/api/v1/periods/{period_id}/announce").ok
    return period_id


def _wait_status(context: Any, base: str, period_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 20
    while True:
        period: dict[str, Any] = context.request.get(f"{base}/api/v1/periods/{period_id}").json()
        if period["status"] == status:
            return period
        assert time.monotonic() < deadline, period
        time.sleep(0.3)


def _csrf(context: Any, base: str) -> str:
    html = context.request.get(f"{base}/").text()
    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', html)
    assert found is not None
    return found.group(1)


def test_official_extends_a_period_with_a_public_reason_and_publishes_a_report(
    stack: Stack, browser: Any, context: Any, page: Any, screenshots: Path
) -> None:
    base = stack.discussions
    sign_in(page, base, "official-tyumen", "/manage")
    period_id = _period(context, base, ends_in=dt.timedelta(days=10))
    closing = _period(context, base, ends_in=dt.timedelta(seconds=3))
    _wait_status(context, base, period_id, "open")

    page.goto(f"{base}/manage/periods/{period_id}")
    expect(page.locator("#extensions")).to_contain_text("Обсуждение не продлевалось.")
    new_end = (dt.datetime.now(dt.UTC) + dt.timedelta(days=24)).replace(second=0, microsecond=0)
    page.get_by_label("Новый срок окончания обсуждения (UTC)").fill(
        new_end.strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Причина продления").fill(REASON)
    page.screenshot(path=screenshots / "manage-period-extend.png", full_page=True)
    page.get_by_role("button", name="Продлить обсуждение").click()
    expect(page.locator("[data-extensions] tbody tr")).to_have_count(1)
    expect(page.locator("[data-extensions]")).to_contain_text(REASON)
    shown_end = new_end.strftime("%Y-%m-%d %H:%M UTC")
    expect(page.locator("main > p").first).to_contain_text(shown_end)
    page.screenshot(path=screenshots / "manage-period-extended.png", full_page=True)

    extensions = context.request.get(f"{base}/api/v1/periods/{period_id}/extensions").json()
    assert [e["reason"] for e in extensions] == [REASON]
    period = context.request.get(f"{base}/api/v1/periods/{period_id}").json()
    assert dt.datetime.fromisoformat(period["ends_at"]) == new_end

    citizen = browser.new_context(locale="ru-RU")
    try:
        citizen_page = citizen.new_page()
        sign_in(citizen_page, base, "citizen-tyumen")
        citizen_page.goto(f"{base}/discussions/{period_id}")
        log = citizen_page.locator("#extensions")
        expect(log.get_by_role("heading", level=2)).to_have_text("Продления обсуждения")
        expect(log.locator("tbody tr")).to_have_count(1)
        expect(log.locator("tbody tr")).to_contain_text(REASON)
        expect(log.locator("tbody tr")).to_contain_text(shown_end)
        log.scroll_into_view_if_needed()
        citizen_page.screenshot(path=screenshots / "discussion-extension-log.png", full_page=True)
    finally:
        citizen.close()

    _wait_status(context, base, closing, "closed")
    page.goto(f"{base}/manage/periods/{closing}")
    expect(page.locator("[data-extend]")).to_have_count(0)
    expect(page.locator("[data-report-links]")).to_have_count(0)
    page.screenshot(path=screenshots / "manage-period-closed.png", full_page=True)
    page.get_by_role("button", name="Опубликовать сводку предложений").click()
    expect(page.locator("[data-report-links] a")).to_have_count(4)
    expect(page.locator("main")).to_contain_text("Сводка опубликована")
    page.screenshot(path=screenshots / "manage-period-report-published.png", full_page=True)
    assert _wait_status(context, base, closing, "report_published")["report_published_at"]
    assert context.request.get(f"{base}/api/v1/periods/{closing}/report.json").status == 200


def test_people_without_discussions_manage_for_the_organisation_are_refused(
    stack: Stack, browser: Any, context: Any, page: Any, screenshots: Path
) -> None:
    base = stack.discussions
    sign_in(page, base, "official-tyumen", "/manage")
    period_id = _period(context, base, ends_in=dt.timedelta(days=10))
    closing = _period(context, base, ends_in=dt.timedelta(seconds=2))
    _wait_status(context, base, period_id, "open")
    _wait_status(context, base, closing, "closed")
    before = context.request.get(f"{base}/api/v1/periods/{period_id}").json()

    later = (dt.datetime.now(dt.UTC) + dt.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    for who in ("citizen-tyumen", "moderator-tyumen", "official-tobolsk"):
        other = browser.new_context(locale="ru-RU")
        try:
            other_page = other.new_page()
            sign_in(other_page, base, who)
            shown = other_page.goto(f"{base}/manage/periods/{period_id}")
            assert shown is not None
            assert shown.status == 403, who
            expect(other_page.get_by_role("heading", level=1)).to_have_text("Недостаточно прав")
            if who == "citizen-tyumen":
                other_page.screenshot(path=screenshots / "manage-period-refused.png")
            # The forms, sent with the person's valid CSRF token, are refused the same way.
            token = _csrf(other, base)
            forms = {
                f"/manage/periods/{period_id}/extensions": {
                    "ends_at": later,
                    "reason": "Причина продления",
                },
                f"/manage/periods/{closing}/report": {},
                f"/manage/periods/{period_id}/announce": {},
            }
            for url, fields in forms.items():
                answer = other.request.post(
                    f"{base}{url}",
                    form={CSRF_FIELD: token, **fields},
                    headers={"Accept": "text/html"},
                    max_redirects=0,
                )
                assert answer.status == 403, (who, url, answer.status)
                assert "Недостаточно прав" in answer.text(), (who, url)
            api = api_post(
                other,
                f"{base}/api/v1/periods/{period_id}/extensions",
                data={"ends_at": f"{later}:00+00:00", "reason": "Причина продления"},
            )
            assert api.status == 403, (who, api.text())
        finally:
            other.close()

    assert context.request.get(f"{base}/api/v1/periods/{period_id}/extensions").json() == []
    after = context.request.get(f"{base}/api/v1/periods/{period_id}").json()
    assert (after["status"], after["ends_at"]) == (before["status"], before["ends_at"])
    assert context.request.get(f"{base}/api/v1/periods/{closing}").json()["status"] == "closed"
