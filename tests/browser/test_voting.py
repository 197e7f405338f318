"""A citizen signs in, votes in a survey and in a project vote, gets the receipt, sees the ballot
waiting in the pool to be mixed and, once the poll has closed, checks it in the log."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, open_poll, sign_in

CLOSE_WITHIN_S = 30
"""The polls here close this soon after they are created: the whole pool enters the log then."""

SURVEY = {
    "title": "Благоустройство сквера на Республики",
    "kind": "survey",
    "show_intermediate_results": True,
    "questions": [
        {
            "kind": "single_choice",
            "id": "lights",
            "text": "Нужно ли новое освещение?",
            "options": [{"id": "yes", "label": "Да"}, {"id": "no", "label": "Нет"}],
        },
        {
            "kind": "multiple_choice",
            "id": "where",
            "text": "Где поставить фонари?",
            "options": [
                {"id": "paths", "label": "Вдоль дорожек"},
                {"id": "playground", "label": "У детской площадки"},
                {"id": "entrance", "label": "У входа"},
            ],
            "max_choices": 2,
            "show_if": {"question": "lights", "op": "equals", "option": "yes"},
        },
        {
            "kind": "ranking",
            "id": "order",
            "text": "Что сделать в первую очередь?",
            "options": [
                {"id": "benches", "label": "Скамейки"},
                {"id": "trees", "label": "Деревья"},
                {"id": "bins", "label": "Урны"},
            ],
        },
        {
            "kind": "scale",
            "id": "mood",
            "text": "Как вам сквер сейчас?",
            "min": 1,
            "max": 5,
            "min_label": "плохо",
            "max_label": "отлично",
        },
        {"kind": "free_text", "id": "other", "text": "Что ещё?", "required": False},
    ],
}

PROJECTS = {
    "title": "Инициативный бюджет Тюмени 2027",
    "kind": "project_vote",
    "show_intermediate_results": True,
    "questions": [
        {
            "kind": "project_vote",
            "id": "pb",
            "text": "Какие проекты профинансировать?",
            "budget": 1_000_000,
            "ballot_kind": {"kind": "cost_limited_approval"},
            "rule": "greedy",
            "projects": [
                {"id": "park", "title": "Парк у реки", "cost": 600_000},
                {"id": "library", "title": "Детская библиотека", "cost": 300_000},
                {"id": "rink", "title": "Каток", "cost": 500_000},
            ],
        }
    ],
}


def _official_polls(browser_context: Any, stack: Stack, *bodies: dict[str, Any]) -> list[str]:
    page = browser_context.new_page()
    sign_in(page, stack.polls, "official-tyumen")
    ids = [open_poll(browser_context, stack.polls, body) for body in bodies]
    page.close()
    return ids


def _closing_in(seconds: int) -> str:
    """A closing time soon enough for a test to see the poll closed and its ballots mixed in."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()


def _wait_tallied(page: Any, stack: Stack, poll_id: str) -> None:
    """Until the scheduler has closed the poll, mixed the whole pool in and counted it."""
    deadline = time.monotonic() + CLOSE_WITHIN_S + 30
    while page.request.get(f"{stack.polls}/api/v1/polls/{poll_id}").json()["status"] != "tallied":
        assert time.monotonic() < deadline, f"poll {poll_id} was not tallied"
        time.sleep(0.5)


def test_citizen_votes_in_a_survey_gets_a_receipt_and_checks_the_ballot(
    stack: Stack, browser: Any, page: Any, screenshots: Path
) -> None:
    official = browser.new_context()
    (poll_id,) = _official_polls(
        official,
        stack,
        {**SURVEY, "anonymity_batch": 12, "closes_at": _closing_in(CLOSE_WITHIN_S)},
    )
    official.close()

    sign_in(page, stack.polls, "citizen-tyumen")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Опросы и голосования моего муниципалитета"
    )
    expect(page.get_by_role("link", name=SURVEY["title"])).to_be_visible()
    page.screenshot(path=screenshots / "home-ru.png", full_page=True)

    page.get_by_role("link", name=SURVEY["title"]).click()
    secrecy = page.locator("[data-secrecy]")
    expect(secrecy).to_contain_text(
        "В публичный журнал он попадёт только вместе с другими — в перемешанном пакете "
        "не меньше чем из 12 бюллетеней"
    )
    expect(secrecy).to_contain_text("Сами бюллетени публикуются после окончания голосования")
    where = page.locator("#question-where")
    expect(where).to_be_hidden()
    page.get_by_label("Да", exact=True).check()
    expect(where).to_be_visible()
    page.get_by_label("Вдоль дорожек").check()
    # Ranking by keyboard: move "Урны" to the top with its Up button twice.
    up = page.get_by_role("button", name="Выше: Урны")
    up.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    expect(page.locator("ol.ranking li").first).to_contain_text("Урны")
    page.get_by_label("4", exact=True).check()
    page.screenshot(path=screenshots / "poll-survey.png", full_page=True)
    page.set_viewport_size({"width": 360, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.screenshot(path=screenshots / "poll-survey-360px.png", full_page=True)
    page.set_viewport_size({"width": 1024, "height": 900})
    page.get_by_role("button", name="Отправить бюллетень").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Ваш бюллетень принят")
    code = page.locator("#tracking-code").inner_text()
    assert len(code) == 12
    receipt = page.locator("[data-receipt-secrecy]")
    expect(receipt).to_contain_text("Что доказывает: ваш бюллетень принят и учтён без изменений")
    expect(receipt).to_contain_text("сможет найти ваш бюллетень на доске бюллетеней")
    expect(receipt).to_contain_text("в перемешанном пакете не меньше чем из 12 бюллетеней")
    expect(receipt).to_contain_text("оператор сервиса, у которого есть его секретный ключ")
    expect(page.locator("main")).not_to_contain_text("Узнать по нему, как вы проголосовали, нельзя")
    page.screenshot(path=screenshots / "receipt.png", full_page=True)
    page.goto(f"{stack.polls}/polls/{poll_id}/receipt?lang=en")
    expect(page.locator("[data-receipt-secrecy]")).to_contain_text(
        "It reveals: anyone you show the receipt or the tracking code to can find your ballot"
    )
    page.screenshot(path=screenshots / "receipt-en.png", full_page=True)
    page.goto(f"{stack.polls}/polls/{poll_id}/receipt?lang=ru")

    # Right after voting the ballot waits, sealed, in the pool: not yet in the log.
    page.get_by_role("link", name="Проверить мой бюллетень").first.click()
    pooled = page.locator("[data-pooled]")
    expect(
        pooled.get_by_role("heading", name="Принят, ждёт перемешивания с другими бюллетенями")
    ).to_be_visible()
    expect(pooled).to_contain_text(code)
    expect(pooled).to_contain_text("в перемешанном пакете не меньше чем из 12 бюллетеней")
    expect(pooled.locator("[data-waiting]")).to_have_text("1")
    expect(pooled).to_contain_text("Когда в ожидании наберётся 24 бюллетеня,")
    page.screenshot(path=screenshots / "check-pooled.png", full_page=True)
    page.goto(f"{stack.polls}/polls/{poll_id}/check?code={code}&lang=en")
    expect(page.locator("[data-pooled]")).to_contain_text(
        "waits, sealed, to enter the public log in a shuffled batch of at least 12 ballots"
    )
    expect(page.locator("[data-pooled]")).to_contain_text("Ballots waiting now: 1")
    page.screenshot(path=screenshots / "check-pooled-en.png", full_page=True)

    # Intermediate results count mixed batches only: the lone ballot is not in them yet.
    page.goto(f"{stack.polls}/polls/{poll_id}/results?lang=ru")
    expect(page.locator("main")).to_contain_text("Учтено бюллетеней: 0")
    expect(page.locator("[data-batches]")).to_contain_text(
        "меняются сразу на перемешанный пакет не меньше чем из 12 бюллетеней"
    )

    page.goto(f"{stack.polls}/polls/{poll_id}")
    page.get_by_label("Нет", exact=True).check()
    page.get_by_label("3", exact=True).check()
    page.get_by_role("button", name="Отправить бюллетень").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Вы уже проголосовали")
    expect(page.locator("main")).to_contain_text(code)

    # At the close the whole pool enters the log: the check shows the ballot with its proof.
    _wait_tallied(page, stack, poll_id)
    page.goto(f"{stack.polls}/polls/{poll_id}/check?code={code}")
    expect(page.get_by_role("heading", name="Ваш бюллетень есть в журнале")).to_be_visible()
    expect(page.locator("#check-result")).to_contain_text(code)
    expect(page.locator("#check-result")).to_contain_text("запись 0 из 1")
    page.screenshot(path=screenshots / "check-ballot.png", full_page=True)

    page.goto(f"{stack.polls}/polls/{poll_id}/results")
    expect(page.locator("main")).to_contain_text("Учтено бюллетеней: 1")
    expect(page.locator("main")).to_contain_text("Официальные итоги")
    page.screenshot(path=screenshots / "results-survey.png", full_page=True)


def test_project_vote_shows_running_total_and_refuses_over_budget(
    stack: Stack, browser: Any, page: Any, screenshots: Path
) -> None:
    official = browser.new_context()
    (poll_id,) = _official_polls(
        official, stack, {**PROJECTS, "closes_at": _closing_in(CLOSE_WITHIN_S)}
    )
    official.close()

    sign_in(page, stack.polls, "citizen-tyumen", f"/polls/{poll_id}")
    expect(page.locator("[data-secrecy]")).to_contain_text("не меньше чем из 20 бюллетеней")
    budget = page.locator("[data-budget]")
    send = page.get_by_role("button", name="Отправить бюллетень")
    page.get_by_label("Парк у реки").check()
    expect(budget.locator("[data-remaining]")).to_have_text("400\u202f000\u00a0₽")
    page.get_by_label("Каток").check()
    expect(budget).to_contain_text("Бюджет превышен")
    expect(send).to_be_disabled()
    page.screenshot(path=screenshots / "project-vote-over-budget.png", full_page=True)
    page.get_by_label("Каток").uncheck()
    page.get_by_label("Детская библиотека").check()
    expect(budget.locator("[data-remaining]")).to_have_text("100\u202f000\u00a0₽")
    expect(send).to_be_enabled()
    send.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ваш бюллетень принят")

    page.goto(f"{stack.polls}/polls/{poll_id}/results?lang=en")
    expect(page.locator("main")).to_contain_text("Intermediate results: they may still change.")
    expect(page.locator("main")).to_contain_text("Ballots counted: 0")
    expect(page.locator("[data-batches]")).to_contain_text(
        "they change one shuffled batch of at least 20 ballots at a time"
    )
    page.screenshot(path=screenshots / "results-intermediate-en.png", full_page=True)

    _wait_tallied(page, stack, poll_id)
    page.goto(f"{stack.polls}/polls/{poll_id}/results?lang=en")
    expect(page.locator("main")).to_contain_text("Ballots counted: 1")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Results")
    funded = page.locator("tr.funded")
    expect(funded).to_have_count(2)
    expect(funded.first).to_contain_text("✓ funded")
    expect(page.locator("tbody tr").filter(has_text="Каток")).to_contain_text("not funded")
    page.screenshot(path=screenshots / "results-projects-en.png", full_page=True)
