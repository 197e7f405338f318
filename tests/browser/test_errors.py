"""What a person sees when a page fails: a page in their language with the status, the request
id and a way home (API clients keep problem+json); refusals read in the page's language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, open_poll, sign_in

SURVEY = {
    "title": "Опрос о парковках",
    "kind": "survey",
    "questions": [
        {
            "kind": "single_choice",
            "id": "parking",
            "text": "Нужна ли парковка у школы?",
            "options": [{"id": "yes", "label": "Да"}, {"id": "no", "label": "Нет"}],
            "required": True,
        }
    ],
}


def test_a_missing_page_is_a_russian_error_page_and_the_api_keeps_problem_json(
    stack: Stack, page: Any, screenshots: Path
) -> None:
    response = page.goto(f"{stack.polls}/polls/no-such-poll/check")
    assert response is not None
    assert response.status == 404
    assert response.headers["content-type"].startswith("text/html")
    expect(page.get_by_role("heading", level=1)).to_have_text("Страница не найдена")
    expect(page.locator("[data-request-id]")).to_have_text(response.headers["x-request-id"])
    expect(page.get_by_role("link", name="На главную страницу")).to_have_attribute("href", "/")
    page.screenshot(path=screenshots / "error-404.png", full_page=True)

    page.goto(f"{stack.discussions}/discussions/no-such-period?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")

    api = page.goto(f"{stack.polls}/api/v1/polls/no-such-poll")
    assert api is not None
    assert api.status == 404
    assert api.headers["content-type"].startswith("application/problem+json")
    assert api.json()["type"].endswith("/not-found")


def test_expired_forms_and_ballot_refusals_read_in_russian(
    stack: Stack, browser: Any, page: Any, screenshots: Path
) -> None:
    official = browser.new_context(locale="ru-RU")
    official_page = official.new_page()
    sign_in(official_page, stack.polls, "official-tyumen")
    poll_id = open_poll(official, stack.polls, SURVEY)

    # An expired form (its token is not the session's) is a page, not JSON.
    official_page.goto(f"{stack.polls}/manage/polls/{poll_id}")
    cancel_form = official_page.locator("form", has=official_page.get_by_label("Причина отмены"))
    cancel_form.locator("input[name=csrf_token]").evaluate("e => { e.value = 'stale'; }")
    official_page.get_by_label("Причина отмены").fill("проверка")
    official_page.get_by_role("button", name="Отменить голосование").click()
    expect(official_page.get_by_role("heading", level=1)).to_have_text("Форма устарела")
    expect(official_page.locator("main")).to_contain_text("Обновите страницу")

    # A ballot the service refuses is explained in Russian, from the ballot checker's issue.
    sign_in(page, stack.polls, "citizen-tyumen", f"/polls/{poll_id}")
    page.get_by_role("button", name="Отправить бюллетень").click()
    errors = page.locator("#errors")
    expect(errors).to_contain_text("Нужна ли парковка у школы?: Ответьте на этот вопрос.")
    page.screenshot(path=screenshots / "ballot-refused.png", full_page=True)

    # Once a ballot is in, the official sees ballots per hour (one small group: hidden).
    page.get_by_label("Да").check()
    page.get_by_role("button", name="Отправить бюллетень").click()
    page.wait_for_url(f"{stack.polls}/polls/{poll_id}/receipt")
    official_page.goto(f"{stack.polls}/manage/polls/{poll_id}")
    hours = official_page.locator("[data-by-hour] .barrow")
    expect(hours).to_have_count(1)
    expect(hours).to_contain_text(dt.datetime.now(dt.UTC).strftime("%Y-%m-%d "))

    # Without intermediate results nobody sees answers before the close, the organisation
    # included: its desk offers turnout, no results or board link, and says so.
    expect(official_page.locator("[data-live-answers]")).to_have_text(
        "До окончания голосования ответов не видит никто, организация тоже: пока оно идёт, "
        "вы видите только явку."
    )
    expect(official_page.get_by_role("link", name="Итоги", exact=True)).to_have_count(0)
    expect(official_page.get_by_role("link", name="Доска бюллетеней")).to_have_count(0)
    expect(official_page.locator("[data-after-close]")).to_be_visible()
    official_page.screenshot(path=screenshots / "manage-poll-open.png", full_page=True)
    for who in (official_page, page):
        who.goto(f"{stack.polls}/polls/{poll_id}/results")
        at_close = who.locator("[data-results-at-close]")
        expect(at_close).to_contain_text("они публикуются после окончания голосования")
        expect(at_close).to_contain_text("ответов не видит никто, включая проводящую его")
    # The auditors' page says the board comes after the close; the ballot still waits in the
    # pool, so no checkpoint is signed yet and none is linked (a link would lead nowhere).
    page.goto(f"{stack.polls}/audit")
    row = page.locator("tbody tr").filter(has_text=poll_id)
    expect(row).to_contain_text("доска — после окончания")
    expect(row).to_contain_text("записей пока нет")
    expect(row.get_by_role("link", name="Контрольная точка")).to_have_count(0)
    official.close()
