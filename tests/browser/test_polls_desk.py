"""The officials' desk in a real browser: cancelling an open poll with a reason, the builder's
territory, roll file and anonymity batch, and a tallied poll's answers by group; each effect is
checked through the API."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import msgspec
from playwright.sync_api import expect

from shared.log.board import BoardHeader
from tests.browser.conftest import Stack, api_post, open_poll, sign_in
from tests.integration.identity import gar_extract

SURVEY: dict[str, Any] = {
    "title": "Остановка на Республики",
    "kind": "survey",
    "anonymity_batch": 10,
    "questions": [
        {
            "kind": "single_choice",
            "id": "shelter",
            "text": "Нужен ли навес на остановке?",
            "options": [{"id": "yes", "label": "Да"}, {"id": "no", "label": "Нет"}],
        }
    ],
}
ROLL = ["c3" * 32, "d4" * 32]
TYUMEN_CITY = "71701000001"
"""A municipality of the test register inside the official's territory (71701000)."""


def _citizen_casts(browser: Any, stack: Stack, poll_id: str, answer: str) -> None:
    context = browser.new_context(locale="ru-RU")
    try:
        page = context.new_page()
        sign_in(page, stack.polls, "citizen-tyumen")
        cast = api_post(
            context,
            f"{stack.polls}/api/v1/polls/{poll_id}/ballots",
            data={"answers": {"shelter": answer}},
        )
        assert cast.status == 201, cast.text()
    finally:
        context.close()


def _linked(page: Any, stack: Stack, marker: str) -> Any:
    """The response of following the link ``marker`` names (a path under the service)."""
    href = page.locator(marker).get_attribute("href") or ""
    return page.request.get(href if href.startswith("http") else stack.polls + href)


def _poll(page: Any, stack: Stack, poll_id: str) -> dict[str, Any]:
    return dict(page.request.get(f"{stack.polls}/api/v1/polls/{poll_id}").json())


def test_an_official_cancels_an_open_poll_with_a_reason_and_its_ballot_is_published(
    stack: Stack, browser: Any, page: Any, screenshots: Path
) -> None:
    sign_in(page, stack.polls, "official-tyumen")
    poll_id = open_poll(page.context, stack.polls, SURVEY)
    _citizen_casts(browser, stack, poll_id, "yes")

    page.goto(f"{stack.polls}/manage/polls/{poll_id}")
    page.get_by_label("Причина отмены").fill("Остановку переносят")
    page.get_by_role("button", name="Отменить голосование").click()

    notice = page.locator("[data-cancellation]")
    expect(notice).to_contain_text("Остановку переносят")
    expect(page.locator("[data-final-size]")).to_have_attribute("data-final-size", "1")
    page.screenshot(path=screenshots / "manage-poll-cancelled.png", full_page=True)
    page.goto(f"{stack.polls}/manage/polls/{poll_id}?lang=en")
    expect(notice).to_contain_text("This poll was cancelled.")
    expect(notice).to_contain_text("1 ballot accepted before the cancellation is published")
    page.screenshot(path=screenshots / "manage-poll-cancelled-en.png", full_page=True)
    page.goto(f"{stack.polls}/manage/polls/{poll_id}?lang=ru")

    poll = _poll(page, stack, poll_id)
    assert poll["status"] == "cancelled"
    assert poll["cancel_reason"] == "Остановку переносят"
    checkpoint = page.request.get(f"{stack.polls}/api/v1/logs/{poll_id}/checkpoint").text()
    assert checkpoint.splitlines()[1] == "1"
    board = page.request.get(f"{stack.polls}/api/v1/logs/{poll_id}/board").body()
    header = msgspec.json.decode(board.splitlines()[0], type=BoardHeader)
    assert header.cancellation is not None
    assert (header.cancellation.reason, header.cancellation.size) == ("Остановку переносят", 1)

    page.goto(f"{stack.polls}/polls/{poll_id}")
    expect(page.locator("[data-cancel-reason]")).to_have_text("Остановку переносят")
    page.screenshot(path=screenshots / "poll-cancelled.png", full_page=True)


def _import_register(stack: Stack, tmp_path: Path) -> None:
    """The test extract of the address register, so the builder can name municipalities."""
    gar_extract.write_region(tmp_path / "gar", "72", gar_extract.TYUMEN)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cli.main",
            "territory",
            "import",
            str(tmp_path / "gar"),
            "--region",
            "72",
        ],
        env=stack.env,
        check=True,
        capture_output=True,
        timeout=120,
    )


def test_the_builder_sets_the_territory_a_roll_file_and_the_anonymity_batch(
    stack: Stack, page: Any, screenshots: Path, tmp_path: Path
) -> None:
    _import_register(stack, tmp_path)
    sign_in(page, stack.polls, "official-tyumen", "/manage/polls/new")
    now = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)
    page.get_by_label("Название", exact=True).fill("Навесы на остановках")
    page.get_by_label("Начало", exact=True).fill(
        (now + dt.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    )
    page.get_by_label("Окончание", exact=True).fill(
        (now + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    )
    block = page.locator("[data-question-block]").nth(0)
    block.get_by_label("Тип вопроса").select_option("single_choice")
    block.get_by_label("Текст вопроса").fill("Нужен ли навес?")
    block.get_by_label("Варианты ответа", exact=False).fill("Да\nНет")
    page.get_by_label("Пакет анонимности").fill("30")

    city = page.locator(f'[data-territory] input[value="{TYUMEN_CITY}"]')
    expect(page.locator(f'label[for="{city.get_attribute("id")}"]')).to_contain_text("Тюмень")
    expect(page.locator("[data-no-register]")).to_have_count(0)
    city.check()
    page.get_by_label("Файл списка участников").set_input_files(
        files=[
            {
                "name": "roll.csv",
                "mimeType": "text/csv",
                "buffer": ("sub\n" + "\n".join(ROLL) + "\n").encode(),
            }
        ]
    )
    page.locator("[data-territory]").scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "builder-eligibility.png", full_page=True)
    page.get_by_role("button", name="Сохранить черновик").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Навесы на остановках")
    poll_id = page.url.rstrip("/").rsplit("/", 1)[1]
    poll = _poll(page, stack, poll_id)
    assert poll["eligibility"]["territory"] == [TYUMEN_CITY]
    assert poll["eligibility"]["roll"] == ROLL
    assert poll["anonymity_batch"] == 30

    # A file of anything but pseudonyms is refused in the page's language, nothing saved.
    page.goto(f"{stack.polls}/manage/polls/{poll_id}/edit")
    expect(page.locator("[data-roll-size]")).to_have_attribute("data-roll-size", "2")
    page.get_by_label("Файл списка участников").set_input_files(
        files=[{"name": "roll.txt", "mimeType": "text/plain", "buffer": b"Anna Smirnova\n"}]
    )
    page.get_by_role("button", name="Сохранить черновик").click()
    expect(page.locator("#errors")).to_contain_text("Список участников")
    page.screenshot(path=screenshots / "builder-roll-refused.png", full_page=True)
    assert _poll(page, stack, poll_id)["eligibility"]["roll"] == ROLL


def test_a_tallied_polls_answers_by_group_are_linked_from_the_manage_page(
    stack: Stack, browser: Any, page: Any, screenshots: Path
) -> None:
    sign_in(page, stack.polls, "official-tyumen")
    closes_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=20)
    poll_id = open_poll(page.context, stack.polls, {**SURVEY, "closes_at": closes_at.isoformat()})
    _citizen_casts(browser, stack, poll_id, "no")
    deadline = time.monotonic() + 60
    while _poll(page, stack, poll_id)["status"] != "tallied":
        assert time.monotonic() < deadline, f"poll {poll_id} was not tallied"
        time.sleep(0.5)

    page.goto(f"{stack.polls}/manage/polls/{poll_id}")
    for marker in ("[data-results-csv]", "[data-analytics-csv]", "[data-answers-page]"):
        expect(page.locator(marker)).to_have_count(1)
    turnout = _linked(page, stack, "[data-analytics-csv]")
    assert turnout.ok
    assert turnout.text().startswith("dimension,key,voters")
    results = _linked(page, stack, "[data-results-csv]")
    assert "shelter,single_choice,no,count,1" in results.text()
    page.screenshot(path=screenshots / "manage-poll-tallied.png", full_page=True)

    page.locator("[data-answers-page]").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ответы по группам")
    api = page.request.get(f"{stack.polls}/api/v1/polls/{poll_id}/answers").json()
    hidden = sum(n is None for t in api["tables"] for row in t["rows"] for n in row["counts"])
    # One voter: every cell is under k, so every cell is hidden, on the page as in the API.
    assert hidden == sum(len(row["counts"]) for t in api["tables"] for row in t["rows"])
    expect(page.locator("[data-suppressed]")).to_have_count(hidden)
    expect(page.locator("table.answers")).to_have_count(len(api["tables"]))
    csv = _linked(page, stack, "[data-answers-csv]")
    assert csv.text().splitlines()[0] == "question,dimension,group,answer,voters"
    assert all(line.endswith(",suppressed") for line in csv.text().splitlines()[1:])
    page.screenshot(path=screenshots / "answers.png", full_page=True)

    page.goto(f"{stack.polls}/polls/{poll_id}/answers?lang=en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Answers by group")
    expect(page.locator("[data-suppressed]").first).to_have_text("hidden")
    page.screenshot(path=screenshots / "answers-en.png", full_page=True)
