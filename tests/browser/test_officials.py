"""An official edits a draft poll in the builder (and only the description once scheduled),
sees ballots per hour, creates a draft regulation from Markdown, announces its public
discussion and downloads the report once published."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, api_post, sign_in

MARKDOWN = (
    "# 1. Общие положения\nПравила устанавливают порядок размещения вывесок.\n"
    "# 2. Требования к вывескам\nВывески не закрывают окна.\n"
)


def _minute(delta: dt.timedelta) -> str:
    return (dt.datetime.now(dt.UTC) + delta).strftime("%Y-%m-%dT%H:%M")


def test_official_edits_a_draft_poll_and_only_the_description_once_scheduled(
    stack: Stack, context: Any, page: Any, screenshots: Path
) -> None:
    sign_in(page, stack.polls, "official-tyumen", "/manage")
    now = dt.datetime.now(dt.UTC)
    created = api_post(
        context,
        f"{stack.polls}/api/v1/polls/",
        data={
            "organisation": "tyumen-city",
            "title": "Опрос о спорте",
            "kind": "survey",
            "opens_at": (now + dt.timedelta(hours=2)).isoformat(),
            "closes_at": (now + dt.timedelta(days=5)).isoformat(),
            "questions": [
                {
                    "kind": "single_choice",
                    "id": "gym",
                    "text": "Нужен ли спортзал?",
                    "options": [{"id": "yes", "label": "Да"}, {"id": "no", "label": "Нет"}],
                },
                {
                    "kind": "scale",
                    "id": "rate",
                    "text": "Оцените стадион",
                    "min": 1,
                    "max": 5,
                    "show_if": {"question": "gym", "op": "equals", "option": "yes"},
                },
            ],
        },
    )
    assert created.status == 201, created.text()
    poll_id = created.json()["id"]

    page.goto(f"{stack.polls}/manage/polls/{poll_id}")
    page.get_by_role("link", name="Изменить голосование").click()
    expect(page.get_by_label("Название", exact=True)).to_have_value("Опрос о спорте")
    blocks = page.locator("[data-question-block]")
    expect(blocks).to_have_count(2)
    expect(
        blocks.nth(1).get_by_label("Задавать, только если ответ на вопрос номер…")
    ).to_have_value("1")
    page.get_by_label("Название", exact=True).fill("Опрос о спорте во дворах")
    blocks.nth(0).get_by_label("Текст вопроса").fill("Нужна ли спортплощадка?")
    page.screenshot(path=screenshots / "builder-edit.png", full_page=True)
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Опрос о спорте во дворах")
    expect(page.locator("main ol li").first).to_contain_text("Нужна ли спортплощадка?")

    page.get_by_role("button", name="Назначить").click()
    expect(page.locator("main")).to_contain_text("Запланировано")
    page.get_by_role("link", name="Изменить описание").click()
    expect(page.get_by_label("Название", exact=True)).to_have_count(0)
    page.get_by_label("Описание").fill("Обсуждаем площадки у домов.")
    page.get_by_role("button", name="Сохранить изменения").click()
    expect(page.locator("main")).to_contain_text("Обсуждаем площадки у домов.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Опрос о спорте во дворах")


def test_official_creates_a_draft_announces_a_discussion_and_downloads_the_report(
    stack: Stack, context: Any, page: Any, screenshots: Path
) -> None:
    sign_in(page, stack.discussions, "official-tyumen", "/manage/drafts/new")
    page.get_by_label("Название", exact=True).fill("Правила размещения вывесок")
    page.get_by_label("Вид акта").fill("постановление")
    page.get_by_label("Текст проекта (Markdown)").fill(MARKDOWN)
    page.get_by_role("button", name="Сохранить проект").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Правила размещения вывесок")
    expect(page.locator("ol.sections > li")).to_have_count(2)
    expect(page.locator("ol.sections")).to_contain_text("2. Требования к вывескам")

    page.get_by_label("Предложения принимаются с").fill(_minute(dt.timedelta(hours=1)))
    page.get_by_label("Предложения принимаются до").fill(_minute(dt.timedelta(days=20)))
    page.get_by_role("button", name="Создать общественное обсуждение").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Общественное обсуждение")
    expect(page.locator("main")).to_contain_text("Черновик")
    page.get_by_role("button", name="Объявить общественное обсуждение").click()
    expect(page.locator("main")).to_contain_text("Объявлено")
    expect(page.locator("[data-report-links]")).to_have_count(0)
    page.screenshot(path=screenshots / "manage-period.png", full_page=True)

    # A period that has closed with its report published offers every download.
    base = stack.discussions
    draft = api_post(
        context,
        f"{base}/api/v1/drafts",
        data={
            "organisation": "tyumen-city",
            "title": "Правила уборки снега",
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
            "ends_at": (now + dt.timedelta(seconds=2)).isoformat(),
        },
    )
    assert period.status == 201, period.text()
    period_id = period.json()["id"]
    assert api_post(context, f"{base}/api/v1/periods/{period_id}/announce").ok
    deadline = time.monotonic() + 20
    while context.request.get(f"{base}/api/v1/periods/{period_id}").json()["status"] != "closed":
        assert time.monotonic() < deadline, "the period did not close"
        time.sleep(0.3)
    published = api_post(context, f"{base}/api/v1/periods/{period_id}/report")
    assert published.ok, published.text()

    page.goto(f"{base}/manage/periods/{period_id}")
    links = page.locator("[data-report-links] a")
    expect(links).to_have_count(4)
    for index in range(4):
        href = links.nth(index).get_attribute("href")
        assert href is not None
        assert context.request.get(f"{base}{href}").status == 200, href
    page.screenshot(path=screenshots / "manage-period-report.png", full_page=True)
