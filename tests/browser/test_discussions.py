"""A citizen comments on a section of a draft; a moderator publishes it; a comment containing
markup is shown as text everywhere."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, api_post, sign_in

DRAFT = {
    "organisation": "tyumen-city",
    "title": "О правилах благоустройства территории города Тюмени",
    "kind": "постановление",
    "summary": "Новые правила благоустройства дворов и скверов.",
    "official_position": "Управление благоустройства",
    "markdown": "# 1. Общие положения\nНастоящие правила устанавливают порядок благоустройства.\n"
    "# 2. Озеленение\nВырубка деревьев допускается по разрешению.\n",
}
SCRIPT = '<script>document.title="pwned"</script><b>жирный</b>'


def _open_period(context: Any, stack: Stack) -> str:
    base = stack.discussions
    draft = api_post(context, f"{base}/api/v1/drafts", data=DRAFT)
    assert draft.status == 201, draft.text()
    now = dt.datetime.now(dt.UTC)
    period = api_post(
        context,
        f"{base}/api/v1/drafts/{draft.json()['id']}/periods",
        data={
            "starts_at": (now - dt.timedelta(seconds=1)).isoformat(),
            "ends_at": (now + dt.timedelta(days=30)).isoformat(),
            "eligibility": {"min_age": 14},
        },
    )
    assert period.status == 201, period.text()
    period_id = str(period.json()["id"])
    announced = api_post(context, f"{base}/api/v1/periods/{period_id}/announce")
    assert announced.status == 201, announced.text()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if context.request.get(f"{base}/api/v1/periods/{period_id}").json()["status"] == "open":
            return period_id
        time.sleep(0.2)
    raise TimeoutError("the comment period did not open")


def test_citizen_comments_on_a_section_and_markup_stays_text(
    stack: Stack, browser: Any, page: Any, screenshots: Path
) -> None:
    official = browser.new_context()
    official_page = official.new_page()
    sign_in(official_page, stack.discussions, "official-tyumen")
    period_id = _open_period(official, stack)

    sign_in(page, stack.discussions, "citizen-tyumen")
    page.get_by_role("link", name=DRAFT["title"]).click()
    page.get_by_role("link", name="Высказаться по этому пункту").nth(1).click()
    expect(page.get_by_label("Пункт", exact=True)).to_have_value(
        page.locator("section.section").nth(1).get_attribute("id") or ""
    )
    page.get_by_label("Возражаю").check()
    page.get_by_label("Предложение (до 5000 знаков)").fill(SCRIPT)
    page.screenshot(path=screenshots / "draft-comment-form.png", full_page=True)
    page.get_by_role("button", name="Отправить предложение").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Мои предложения")
    expect(page.locator("#tracking-code")).to_have_text(page.locator("#tracking-code").inner_text())
    expect(page.locator(".comment .body").first).to_have_text(SCRIPT)
    assert page.title() != "pwned"
    page.screenshot(path=screenshots / "my-comments.png", full_page=True)

    official_page.goto(f"{stack.discussions}/moderation")
    expect(official_page.locator(".comment .body").first).to_have_text(SCRIPT)
    official_page.screenshot(path=screenshots / "moderation.png", full_page=True)
    official_page.get_by_role("button", name="Опубликовать").first.click()
    expect(official_page.get_by_text("Предложений на модерации нет.")).to_be_visible()
    official.close()

    page.goto(f"{stack.discussions}/discussions/{period_id}")
    comment = page.locator("section.section").nth(1).locator(".comment .body")
    expect(comment).to_have_text(SCRIPT)
    assert page.locator("section.section b").count() == 0
    assert page.title() != "pwned"
    page.screenshot(path=screenshots / "draft-with-comments.png", full_page=True)
