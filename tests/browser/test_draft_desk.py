"""The official's desk in a real browser: a new version of a draft uploaded from a Markdown
file and from a DOCX file, an attachment added and removed, and a sent response corrected;
each effect is checked through the API, and each page is saved as a screenshot."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, api_post, sign_in
from tests.unit.discussions._files import docx

PDF = b"%PDF-1.7\n%%EOF\n"
MARKDOWN_V1 = "# 1. Общие положения\nПравила уборки дворов.\n# 2. Сроки\nУборка ежедневно.\n"
MARKDOWN_V2 = (
    "# 1. Общие положения\nПравила уборки дворов и скверов.\n"
    "# 2. Сроки\nУборка ежедневно до 8 утра.\n"
    "# 3. Контроль\nКонтроль ведёт управа района.\n"
)


def _open_period(context: Any, base: str) -> tuple[str, str]:
    """A draft of tyumen-city with an open comment period, made through the API with the
    context's (official's) session."""
    draft = api_post(
        context,
        f"{base}/api/v1/drafts",
        data={
            "organisation": "tyumen-city",
            "title": f"Правила уборки дворов {time.monotonic_ns()}",
            "kind": "постановление",
            "markdown": MARKDOWN_V1,
        },
    )
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
    assert api_post(context, f"{base}/api/v1/periods/{period_id}/announce").ok
    deadline = time.monotonic() + 15
    while context.request.get(f"{base}/api/v1/periods/{period_id}").json()["status"] != "open":
        assert time.monotonic() < deadline, "the comment period did not open"
        time.sleep(0.2)
    return str(draft.json()["id"]), period_id


def test_official_uploads_new_versions_and_adds_and_removes_an_attachment(
    stack: Stack, context: Any, page: Any, screenshots: Path, tmp_path: Path
) -> None:
    base = stack.discussions
    sign_in(page, base, "official-tyumen", "/manage")
    draft_id, _ = _open_period(context, base)

    page.goto(f"{base}/manage/drafts/{draft_id}")
    expect(page.locator("[data-versions] tbody tr")).to_have_count(1)
    page.screenshot(path=screenshots / "manage-draft.png", full_page=True)

    markdown = tmp_path / "редакция-2.md"
    markdown.write_text(MARKDOWN_V2, encoding="utf-8")
    form = page.locator("form[data-new-version]")
    form.get_by_label("Файл (.md или .docx)").set_input_files(markdown)
    form.get_by_label("Что изменилось в этой редакции").fill("Добавлен пункт о контроле")
    form.get_by_role("button", name="Опубликовать новую редакцию").click()
    expect(page.locator("[data-done=version]")).to_be_visible()
    expect(page.locator("[data-versions] tbody tr")).to_have_count(2)
    expect(page.locator('tr[data-version="2"]')).to_contain_text("Добавлен пункт о контроле")
    page.screenshot(path=screenshots / "manage-draft-new-version.png", full_page=True)
    versions = context.request.get(f"{base}/api/v1/drafts/{draft_id}/versions").json()
    assert [(v["number"], v["sections"]) for v in versions] == [(1, 2), (2, 3)]
    current = context.request.get(f"{base}/api/v1/drafts/{draft_id}").json()
    assert current["current_version"] == 2
    assert current["sections"][2]["heading"].endswith("Контроль")

    document = tmp_path / "редакция-3.docx"
    document.write_bytes(docx([(1, "1. Единственный пункт"), (0, "Весь текст здесь.")]))
    form.get_by_label("Файл (.md или .docx)").set_input_files(document)
    form.get_by_role("button", name="Опубликовать новую редакцию").click()
    expect(page.locator("[data-versions] tbody tr")).to_have_count(3)
    detail = context.request.get(f"{base}/api/v1/drafts/{draft_id}").json()
    assert detail["current_version"] == 3
    assert [s["heading"][-18:] for s in detail["sections"]] == ["Единственный пункт"]
    page.locator('tr[data-version="1"] a').first.click()
    expect(page.locator("[data-shown-version]")).to_have_attribute("data-shown-version", "1")
    expect(page.locator("ol.sections")).to_contain_text("Уборка ежедневно.")
    page.screenshot(path=screenshots / "manage-draft-earlier-version.png", full_page=True)

    page.goto(f"{base}/manage/drafts/{draft_id}")
    pdf = tmp_path / "пояснительная-записка.pdf"
    pdf.write_bytes(PDF)
    attach = page.locator("form[data-attach]")
    attach.get_by_label("Файл приложения (PDF, DOCX или ODT, до 10 МиБ)").set_input_files(pdf)
    attach.get_by_role("button", name="Приложить").click()
    expect(page.locator("[data-done=attached]")).to_be_visible()
    expect(page.locator("[data-attachments] li")).to_have_count(1)
    page.screenshot(path=screenshots / "manage-draft-attachment.png", full_page=True)
    attachments = context.request.get(f"{base}/api/v1/drafts/{draft_id}").json()["attachments"]
    assert [(a["filename"], a["removed_at"]) for a in attachments] == [
        ("пояснительная-записка.pdf", None)
    ]
    download = f"{base}/api/v1/drafts/{draft_id}/attachments/{attachments[0]['id']}"
    assert context.request.get(download).body() == PDF

    page.get_by_role("button", name="Удалить пояснительная-записка.pdf").click()
    expect(page.locator("[data-done=removed]")).to_be_visible()
    expect(page.locator("[data-attachments] li[data-removed]")).to_have_count(1)
    page.screenshot(path=screenshots / "manage-draft-attachment-removed.png", full_page=True)
    after = context.request.get(f"{base}/api/v1/drafts/{draft_id}").json()["attachments"]
    assert after[0]["removed_at"] is not None
    assert after[0]["sha256"] == attachments[0]["sha256"]
    assert context.request.get(download).status == 410


def test_official_corrects_a_sent_response_and_the_earlier_text_stays_visible(
    stack: Stack, browser: Any, context: Any, page: Any, screenshots: Path
) -> None:
    base = stack.discussions
    sign_in(page, base, "official-tyumen", "/moderation")
    _, period_id = _open_period(context, base)

    citizen = browser.new_context(locale="ru-RU")
    try:
        citizen_page = citizen.new_page()
        sign_in(citizen_page, base, "citizen-tyumen")
        made = api_post(
            citizen,
            f"{base}/api/v1/periods/{period_id}/comments",
            data={"stance": "object", "text": "Уборка до 8 утра будит жителей."},
        )
        assert made.status == 201, made.text()
        comment_id = made.json()["id"]
        assert api_post(
            context,
            f"{base}/api/v1/comments/{comment_id}/moderation",
            data={"decision": "publish"},
        ).ok
        answered = api_post(
            context,
            f"{base}/api/v1/comments/{comment_id}/response",
            data={"disposition": "rejected", "justification": "Время уборки не меняется."},
        )
        assert answered.status == 204, answered.text()

        page.goto(f"{base}/moderation")
        article = page.locator(f'[data-answered="{comment_id}"]')
        article.get_by_label("Исправленное решение").select_option("partially_accepted")
        article.get_by_label("Исправленное обоснование").fill(
            "Уборка во дворах переносится на 9 утра."
        )
        page.screenshot(path=screenshots / "moderation-correct-response.png", full_page=True)
        article.get_by_role("button", name="Исправить ответ").click()
        expect(page.locator("main")).to_contain_text("Исправление сохранено")
        corrected = page.locator(f'[data-answered="{comment_id}"]')
        expect(corrected.locator("[data-earlier-responses]")).to_contain_text(
            "Время уборки не меняется."
        )
        page.screenshot(path=screenshots / "moderation-response-corrected.png", full_page=True)

        listed = context.request.get(f"{base}/api/v1/periods/{period_id}/comments").json()
        shown = next(c for c in listed["items"] if c["id"] == comment_id)
        assert (shown["disposition"], shown["justification"]) == (
            "partially_accepted",
            "Уборка во дворах переносится на 9 утра.",
        )
        assert [e["justification"] for e in shown["earlier_responses"]] == [
            "Время уборки не меняется."
        ]

        citizen_page.goto(f"{base}/discussions/{period_id}")
        response = citizen_page.locator(f'[data-comment="{comment_id}"] [data-response]')
        expect(response).to_contain_text("Уборка во дворах переносится на 9 утра.")
        expect(response.locator("[data-corrected]")).to_contain_text("Исправлено")
        expect(response.locator("del").last).to_have_text("Время уборки не меняется.")
        response.scroll_into_view_if_needed()
        citizen_page.screenshot(path=screenshots / "discussion-corrected-response.png")
    finally:
        citizen.close()
