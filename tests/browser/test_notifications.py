"""A citizen gives an e-mail address for notifications, confirms it by the link mailed to the
test's SMTP server, opts in to responses; an official responds to the citizen's comment; the
in-app list shows it, the header counts it, and the e-mail arrives."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, api_post, sign_in
from tests.browser.test_discussions import _open_period
from tests.harness.smtp import body_of, wait_for

ADDRESS = "citizen.tyumen@example.ru"


def test_citizen_is_notified_of_a_response_in_the_app_and_by_email(
    stack: Stack, browser: Any, context: Any, page: Any, screenshots: Path
) -> None:
    official = browser.new_context()
    official_page = official.new_page()
    sign_in(official_page, stack.discussions, "official-tyumen")
    period_id = _open_period(official, stack)

    sign_in(page, stack.polls, "citizen-tyumen", "/notifications/settings")
    expect(page.get_by_role("heading", level=1)).to_have_text("Настройки уведомлений")
    page.get_by_label("Адрес электронной почты").fill(ADDRESS)
    page.locator("#email-response").check()
    page.locator("#in_app-response").check()
    page.screenshot(path=screenshots / "notification-settings.png", full_page=True)
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("status")).to_contain_text("отправлена ссылка для подтверждения")
    expect(page.locator("#pending-address")).to_contain_text(ADDRESS)

    wait_for(lambda: stack.mail.to(ADDRESS))
    (confirmation,) = stack.mail.to(ADDRESS)
    assert confirmation["Subject"] == "Подтвердите адрес электронной почты для уведомлений «Вместе»"
    link = re.search(
        r"(http://localhost:\d+/notifications/confirm\?token=\S+)", body_of(confirmation)
    )
    assert link is not None, body_of(confirmation)
    page.goto(link.group(1))
    expect(page.get_by_role("status")).to_contain_text("Адрес подтверждён")
    page.screenshot(path=screenshots / "notification-address-confirmed.png", full_page=True)
    page.goto(f"{stack.polls}/notifications/settings")
    expect(page.locator("#confirmed-address")).to_have_text(ADDRESS)

    # The citizen comments (signed in at discussions too), the official publishes and answers.
    sign_in(page, stack.discussions, "citizen-tyumen")
    submitted = api_post(
        context,
        f"{stack.discussions}/api/v1/periods/{period_id}/comments",
        data={"section": "", "stance": "support", "text": "Поддерживаю новые правила."},
    )
    assert submitted.status == 201, submitted.text()
    comment_id, code = submitted.json()["id"], submitted.json()["tracking_code"]
    moderated = api_post(
        official,
        f"{stack.discussions}/api/v1/comments/{comment_id}/moderation",
        data={"decision": "publish"},
    )
    assert moderated.status == 201, moderated.text()
    answered = api_post(
        official,
        f"{stack.discussions}/api/v1/comments/{comment_id}/response",
        data={"disposition": "accepted", "justification": "Учтено в редакции пункта 2."},
    )
    assert answered.status == 204, answered.text()
    official.close()

    wait_for(lambda: [m for m in stack.mail.to(ADDRESS) if code in str(m["Subject"])], 30)
    (notice,) = [m for m in stack.mail.to(ADDRESS) if code in str(m["Subject"])]
    assert notice["Subject"] == f"Должностное лицо ответило на ваше предложение {code}"
    assert "Решение: учтено. Обоснование: Учтено в редакции пункта 2." in body_of(notice)

    mine = context.request.get(f"{stack.polls}/api/v1/me/notifications").json()
    assert mine["unread"] == 1
    assert mine["items"][0]["kind"] == "response"
    page.goto(f"{stack.polls}/notifications")
    expect(page.locator("ul.notifications li.unread")).to_contain_text(code)
    expect(page.locator("#unread-notifications")).to_have_text("1")
    page.screenshot(path=screenshots / "notifications.png", full_page=True)
    page.get_by_role("button", name="Отметить все как прочитанные").click()
    expect(page.locator("ul.notifications li.unread")).to_have_count(0)
    assert context.request.get(f"{stack.polls}/api/v1/me/notifications").json()["unread"] == 0
