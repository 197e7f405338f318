"""An official creates a poll through the question builder and schedules it."""

from __future__ import annotations

import datetime as dt
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
    page.screenshot(path=screenshots / "builder.png", full_page=True)
    page.get_by_role("button", name="Сохранить черновик").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Опрос о транспорте")
    expect(page.locator("main ol li")).to_have_count(2)
    page.get_by_role("button", name="Назначить").click()
    expect(page.locator("main")).to_contain_text("Запланировано")
    expect(page.get_by_label("Код виджета")).to_have_value(
        page.get_by_label("Код виджета").input_value()
    )
    page.screenshot(path=screenshots / "manage-poll.png", full_page=True)
