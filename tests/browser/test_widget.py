"""The widget renders inside an official site registered for the organisation and is refused
by the browser everywhere else (CSP frame-ancestors)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Stack, open_poll, sign_in
from tests.browser.test_voting import SURVEY


def test_widget_renders_in_an_allowed_site_and_is_refused_in_another(
    stack: Stack, browser: Any, page: Any, screenshots: Path
) -> None:
    official = browser.new_context()
    sign_in(official.new_page(), stack.polls, "official-tyumen")
    poll_id = open_poll(official, stack.polls, {**SURVEY, "title": "Опрос для виджета"})
    official.close()
    widget = f"{stack.polls}/embed/polls/{poll_id}"

    page.goto(f"{stack.allowed_parent}/frame?src={widget}")
    frame = page.frame_locator("#widget")
    expect(frame.get_by_role("heading", level=1)).to_have_text("Опрос для виджета")
    expect(frame.get_by_role("link", name="Участвовать на платформе «Вместе»")).to_be_visible()
    page.screenshot(path=screenshots / "widget-allowed.png", full_page=True)

    refused: list[str] = []
    page.on("console", lambda message: refused.append(message.text))
    page.goto(f"{stack.refused_parent}/frame?src={widget}")
    page.wait_for_load_state("load")
    child = page.main_frame.child_frames[0]
    expect(child.get_by_text("Опрос для виджета")).to_have_count(0)
    assert any("frame-ancestors" in text for text in refused), refused
    page.screenshot(path=screenshots / "widget-refused.png", full_page=True)

    csp = page.request.get(widget).headers["content-security-policy"]
    assert f"frame-ancestors {stack.allowed_parent}" in csp
    assert (
        "frame-ancestors 'none'"
        in page.request.get(f"{stack.polls}/").headers["content-security-policy"]
    )
