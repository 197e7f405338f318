"""An official creates a poll through the question builder and schedules it."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, sign_in


def test_official_creates_and_schedules_a_poll_with_the_builder(
    stack: Stack, page: Any, screenshots: Path
) -> None:
    sign_in(page, stack.polls, "official-tyumen", "/manage/polls/new")
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    page.get_by_label("Название", exact=True).fill("Опрос о транспорте")
    page.get_by_label("Начало", exact=True).fill(
        (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Окончание", exact=True).fill(
        (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    )
    first = page.locator("[data-question-block]").nth(0)
    first.get_by_label("Тип вопроса").select_option("single_choice")
    first.get_by_label("Текст вопроса").fill("Удобен ли вам автобус?")
    first.get_by_label("Варианты ответа", exact=False).fill("Да\nНет")
    page.get_by_role("button", name="Добавить вопрос").click()
    second = page.locator("[data-question-block]").nth(1)
    second.get_by_label("Тип вопроса").select_option("scale")
    second.get_by_label("Текст вопроса").fill("Оцените остановку у дома")
    second.get_by_label("Задавать, только если ответ на вопрос номер…").fill("1")
    second.get_by_label("…— вариант номер").fill("2")
    batch = page.get_by_label("Пакет анонимности")
    expect(batch).to_have_value("20")
    expect(batch).to_have_accessible_description(re.compile("Не меньше 10, по умолчанию 20"))
    page.screenshot(path=screenshots / "builder.png", full_page=True)
    batch.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "builder-batch.png")

    # Too small a batch is refused by the poll rules, in the page's language, form kept.
    batch.fill("5")
    page.get_by_role("button", name="Сохранить черновик").click()
    errors = page.locator("#errors")
    expect(errors).to_contain_text("Пакет анонимности: укажите не меньше 10.")
    expect(page.get_by_label("Пакет анонимности")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Название", exact=True)).to_have_value("Опрос о транспорте")
    expect(page.locator("[data-question-block]")).to_have_count(2)
    page.screenshot(
        path=screenshots / "builder-batch-refused.png",
        full_page=True,
        clip={"x": 0, "y": 0, "width": 1024, "height": 1400},
    )
    page.get_by_label("Пакет анонимности").fill("15")
    page.get_by_role("button", name="Сохранить черновик").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Опрос о транспорте")
    expect(page.locator("main ol li")).to_have_count(2)
    expect(page.locator("[data-anonymity-batch]")).to_contain_text("Пакет анонимности: 15")
    page.get_by_role("button", name="Назначить").click()
    expect(page.locator("main")).to_contain_text("Запланировано")
    # Scheduled: the batch is frozen with the questions.
    page.get_by_role("link", name="Изменить описание").click()
    frozen = page.get_by_label("Пакет анонимности")
    expect(frozen).to_be_disabled()
    expect(frozen).to_have_value("15")
    page.screenshot(path=screenshots / "builder-scheduled.png", full_page=True)
    page.get_by_role("link", name="Вернуться к голосованию").click()
    expect(page.get_by_label("Код виджета")).to_have_value(
        page.get_by_label("Код виджета").input_value()
    )
    page.screenshot(path=screenshots / "manage-poll.png", full_page=True)


def test_the_builder_refuses_a_small_anonymity_batch_in_english(stack: Stack, page: Any) -> None:
    sign_in(page, stack.polls, "official-tyumen", "/manage/polls/new")
    page.goto(f"{stack.polls}/manage/polls/new?lang=en")
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    page.get_by_label("Title", exact=True).fill("Transport survey")
    page.get_by_label("Opens at").fill((now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Closes at").fill((now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    first = page.locator("[data-question-block]").nth(0)
    first.get_by_label("Question text").fill("Is the bus convenient?")
    first.get_by_label("Kind of question").select_option("scale")
    page.get_by_label("Anonymity batch").fill("5")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.locator("#errors")).to_contain_text(
        "Anonymity batch: give at least 10. Ballots enter the public log in shuffled batches"
    )
    page.goto(f"{stack.polls}/manage?lang=ru")
