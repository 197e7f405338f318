"""The widget renders inside an official site registered for the organisation and is refused
by the browser everywhere else (CSP frame-ancestors)."""

from __future__ import annotations

import datetime as dt
import json
import re
import time
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from shared.log.note import Verifier
from shared.log.receipt import verify_receipt
from tests.browser.conftest import Stack, open_poll, sign_in
from tests.browser.test_period_actions import _period
from tests.browser.test_voting import SURVEY

CLOSE_WITHIN_S = 45
"""The widget's poll closes this soon: long enough to sign in and vote, then it is counted."""


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
    expect(
        frame.get_by_role("button", name="Войти через Госуслуги, чтобы проголосовать")
    ).to_be_visible()
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


def _widget_token_of_someone_else(browser: Any, stack: Stack) -> str:
    """A genuine widget token (of another citizen), as a foreign page might hold one."""
    other = browser.new_context()
    try:
        page = other.new_page()
        sign_in(page, stack.polls, "unconfirmed-tyumen")
        html = other.request.get(
            f"{stack.polls}/auth/widget-done?service=polls&nonce=someone-elses-nonce"
        ).text()
        found = re.search(r'id="widget-handover">(.*?)</script>', html, re.S)
        assert found is not None, html
        token: str = json.loads(found.group(1))["message"]["token"]
        return token
    finally:
        other.close()


def _wait_tallied(page: Any, stack: Stack, poll_id: str, within_s: float) -> dict[str, Any]:
    deadline = time.monotonic() + within_s
    while True:
        poll = page.request.get(f"{stack.polls}/api/v1/polls/{poll_id}").json()
        if poll["status"] == "tallied":
            results: dict[str, Any] = page.request.get(
                f"{stack.polls}/api/v1/polls/{poll_id}/results"
            ).json()
            return results
        assert time.monotonic() < deadline, f"poll {poll_id} was not tallied: {poll['status']}"
        time.sleep(0.5)


def test_citizen_signs_in_through_the_popup_votes_in_the_frame_and_sees_the_receipt(
    stack: Stack, browser: Any, page: Any, screenshots: Path
) -> None:
    official = browser.new_context()
    sign_in(official.new_page(), stack.polls, "official-tyumen")
    closes_at = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=CLOSE_WITHIN_S)
    poll_id = open_poll(
        official,
        stack.polls,
        {**SURVEY, "title": "Опрос в виджете", "closes_at": closes_at.isoformat()},
    )
    official.close()
    foreign_token = _widget_token_of_someone_else(browser, stack)

    page.goto(f"{stack.allowed_parent}/frame?src={stack.polls}/embed/polls/{poll_id}")
    # The host page listens to every message: it must never see a token.
    page.evaluate(
        "window.heard = []; addEventListener('message', (e) => window.heard.push(e.data))"
    )
    frame = page.frame_locator("#widget")
    send = frame.locator("[data-widget-send]")
    expect(send).to_have_text("Войти через Госуслуги, чтобы проголосовать")
    expect(frame.get_by_role("link", name="Участвовать на платформе «Вместе»")).to_be_hidden()
    page.screenshot(path=screenshots / "widget-vote-signed-out.png", full_page=True)

    with page.expect_popup() as opened:
        send.click()
    popup = opened.value
    popup.wait_for_url("**/auth/dev?state=*")
    popup.screenshot(path=screenshots / "widget-sign-in-popup.png", full_page=True)

    # A well-formed message with a genuine token, from the host page's origin: ignored.
    page.evaluate(
        """([token]) => document.getElementById('widget').contentWindow.postMessage(
            {type: 'vmeste:widget-token', nonce: 'x'.repeat(48), token, expires_at: ''}, '*')""",
        [foreign_token],
    )
    # From the sign-in service's origin and the very popup, but not with the frame's nonce.
    popup.evaluate(
        """([token, origin]) => window.opener.postMessage(
            {type: 'vmeste:widget-token', nonce: 'not-the-frames-nonce-000', token,
             expires_at: ''}, origin)""",
        [foreign_token, stack.polls],
    )
    page.wait_for_timeout(500)
    expect(frame.locator("[data-widget-account]")).to_be_hidden()
    expect(send).to_have_text("Войти через Госуслуги, чтобы проголосовать")

    popup.locator('button[name="code"][value="citizen-tyumen"]').click()
    popup.wait_for_event("close", timeout=30_000)
    expect(frame.locator("[data-widget-account]")).to_be_visible(timeout=20_000)
    expect(send).to_have_text("Отправить бюллетень")

    frame.get_by_label("Да", exact=True).check()
    frame.get_by_label("Вдоль дорожек").check()
    frame.locator("#question-mood").get_by_label("4", exact=True).check()
    page.screenshot(path=screenshots / "widget-vote-signed-in.png", full_page=True)
    send.click()

    receipt = frame.locator("[data-widget-receipt]")
    expect(receipt).to_be_visible(timeout=20_000)
    expect(receipt.get_by_role("heading", level=2).first).to_have_text("Ваш бюллетень принят")
    code = frame.locator("[data-widget-code]").inner_text()
    assert re.fullmatch(r"[A-Z0-9]{4}-[A-Z0-9]{4}-[A-Z0-9]{2}", code), code
    # The browser's own check of the receipt just received, inside the frame.
    expect(receipt.locator('[data-check="receipt"]')).to_have_attribute("data-state", "pass")
    page.screenshot(path=screenshots / "widget-receipt.png", full_page=True)
    receipt.locator("[data-widget-verify] > summary").click()
    expect(receipt.locator("[data-client-verify]")).to_have_attribute("data-status", "pooled")
    page.screenshot(path=screenshots / "widget-receipt-checked.png", full_page=True)

    # Through the API: the receipt verifies with the published keys, and the ballot is held.
    note = frame.locator("#receipt-text").input_value()
    keys = page.request.get(f"{stack.polls}/api/v1/keys").json()["keys"]
    parsed, _ = verify_receipt(note, [Verifier.parse(k) for k in keys])
    assert parsed.tracking_code == code
    assert parsed.origin.endswith(f"/polls/{poll_id}")
    tracked = page.request.get(f"{stack.polls}/api/v1/logs/{poll_id}/tracking/{code}")
    assert tracked.status == 200, tracked.text()

    # The host page opening the popup's end itself, signed in as the citizen now is, hears
    # nothing: the token is posted only to the widget's origin.
    with page.expect_popup() as stolen:
        page.evaluate(
            "([url]) => { window.open(url, 'steal'); }",
            [f"{stack.polls}/auth/widget-done?service=polls&nonce={'s' * 32}"],
        )
    stolen.value.wait_for_event("close", timeout=30_000)
    page.wait_for_timeout(300)

    # Nothing reached the host page, and the token was kept in memory only.
    heard = page.evaluate("window.heard")
    assert not any("token" in json.dumps(message) for message in heard), heard
    stored = frame.locator("body").evaluate(
        "() => { try { return JSON.stringify({...localStorage, ...sessionStorage}); }"
        " catch (e) { return ''; } }"
    )
    assert "eyJ" not in stored, stored

    # Opened as a page of its own (no widget opened it), the popup's end hands nothing over.
    alone = page.context.new_page()
    alone.goto(f"{stack.polls}/auth/widget-done?service=polls&nonce={'n' * 32}")
    expect(alone.locator("[data-handover-lost]")).to_be_visible()
    expect(alone.locator("[data-handover-done]")).to_be_hidden()
    alone.screenshot(path=screenshots / "widget-sign-in-done-without-opener.png", full_page=True)
    alone.close()

    # "Check my ballot" works in the frame as on the receipt page.
    frame.locator("[data-widget-check]").click()
    expect(frame.locator("#check-result")).to_contain_text(code)
    expect(frame.locator("[data-client-verify]")).to_have_attribute("data-status", "pooled")
    page.screenshot(path=screenshots / "widget-check.png", full_page=True)

    # Once the poll closes, the ballot sent from the frame is counted with its answers.
    results = _wait_tallied(page, stack, poll_id, CLOSE_WITHIN_S + 60)
    by_question = {q["question"]: q for q in results["results"]["questions"]}
    assert results["results"]["ballots"] == 1, results
    assert {o["option"]: o["count"] for o in by_question["lights"]["options"]} == {
        "yes": 1,
        "no": 0,
    }


def test_citizen_comments_on_a_draft_from_the_widget_through_the_popup(
    stack: Stack, browser: Any, page: Any, screenshots: Path
) -> None:
    official = browser.new_context()
    sign_in(official.new_page(), stack.discussions, "official-tyumen", "/manage")
    period_id = _period(official, stack.discussions, ends_in=dt.timedelta(days=10))
    period = official.request.get(f"{stack.discussions}/api/v1/periods/{period_id}").json()
    deadline = time.monotonic() + 20
    while period["status"] != "open":
        assert time.monotonic() < deadline, period
        time.sleep(0.3)
        period = official.request.get(f"{stack.discussions}/api/v1/periods/{period_id}").json()
    official.close()

    page.goto(
        f"{stack.allowed_parent}/frame?src={stack.discussions}/embed/drafts/{period['draft']}"
    )
    frame = page.frame_locator("#widget")
    send = frame.locator("[data-widget-send]")
    expect(send).to_have_text("Войдите через Госуслуги, чтобы высказаться")
    frame.get_by_label("Пункт").select_option(index=2)
    frame.locator("#stance-object").check()
    frame.locator("#text").fill("Ежедневная уборка не нужна: достаточно трёх раз в неделю.")
    page.screenshot(path=screenshots / "widget-comment-form.png", full_page=True)

    with page.expect_popup() as opened:
        send.click()
    popup = opened.value
    popup.locator('button[name="code"][value="citizen-tyumen"]').click()
    popup.wait_for_event("close", timeout=30_000)
    expect(frame.locator("[data-widget-account]")).to_be_visible(timeout=20_000)
    send.click()

    receipt = frame.locator("[data-widget-receipt]")
    expect(receipt).to_be_visible(timeout=20_000)
    code = frame.locator("[data-widget-code]").inner_text()
    page.screenshot(path=screenshots / "widget-comment-receipt.png", full_page=True)
    check = frame.locator("[data-widget-check]")
    assert check.get_attribute("href") == (
        f"{stack.discussions}/discussions/{period_id}/check?code={code}"
    )

    # Through the API: the comment is in the period's log under its tracking code.
    deadline = time.monotonic() + 30
    while True:
        tracked = page.request.get(f"{stack.discussions}/api/v1/logs/{period_id}/tracking/{code}")
        if tracked.status == 200 and tracked.json()["status"] == "included":
            break
        assert time.monotonic() < deadline, tracked.text()
        time.sleep(0.3)
    counted = page.request.get(f"{stack.discussions}/api/v1/periods/{period_id}").json()
    assert counted["comment_count"] == 1, counted
