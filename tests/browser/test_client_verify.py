"""The citizen's browser verifies its own ballot: a citizen votes, the poll closes, and "check my
ballot" checks in Chromium the receipt's signature, the inclusion proof, the checkpoint's log
signature, the witnesses' quorum and the log's consistency with what this browser saw before.

Then the server is made to lie (Playwright rewrites its answers on the way to the page, as a
compromised server or a man in the middle would) and the page must say which check failed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from shared.log.service import load_log_keys
from tests.browser import forge
from tests.browser.conftest import Stack, api_post, open_poll, sign_in

CLOSE_WITHIN_S = 30
POLL = {
    "title": "Освещение во дворе на Мельникайте",
    "kind": "survey",
    "questions": [
        {
            "kind": "single_choice",
            "id": "lights",
            "text": "Нужно ли новое освещение?",
            "options": [{"id": "yes", "label": "Да"}, {"id": "no", "label": "Нет"}],
        }
    ],
}
CHECKS = ("receipt", "inclusion", "signature", "witnesses", "consistency")


@dataclass(frozen=True, slots=True)
class Vote:
    poll_id: str
    code: str
    receipt: str
    citizen: Any
    """The citizen's browser context: signed in, with the receipt cookie."""


def _closing_in(seconds: int) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).isoformat()


@pytest.fixture(scope="module")
def vote(stack: Stack, browser: Any) -> Iterator[Vote]:
    """An official opens a poll closing in half a minute and votes through the API; the
    citizen votes through the pages and keeps the receipt."""
    official = browser.new_context()
    sign_in(official.new_page(), stack.polls, "official-tyumen")
    poll_id = open_poll(official, stack.polls, {**POLL, "closes_at": _closing_in(CLOSE_WITHIN_S)})
    cast = api_post(
        official,
        f"{stack.polls}/api/v1/polls/{poll_id}/ballots",
        data={"answers": {"lights": "no"}},
    )
    assert cast.status == 201, cast.text()
    official.close()

    citizen = browser.new_context(viewport={"width": 1024, "height": 900}, locale="ru-RU")
    citizen.set_default_timeout(10_000)
    page = citizen.new_page()
    sign_in(page, stack.polls, "citizen-tyumen", f"/polls/{poll_id}")
    page.get_by_label("Да", exact=True).check()
    page.get_by_role("button", name="Отправить бюллетень").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Ваш бюллетень принят")
    code = page.locator("#tracking-code").inner_text()
    receipt = page.request.get(f"{stack.polls}/polls/{poll_id}/receipt.txt").text()
    page.close()
    try:
        yield Vote(poll_id, code, receipt, citizen)
    finally:
        citizen.close()


def _wait_tallied(page: Any, stack: Stack, poll_id: str) -> None:
    deadline = time.monotonic() + CLOSE_WITHIN_S + 30
    while page.request.get(f"{stack.polls}/api/v1/polls/{poll_id}").json()["status"] != "tallied":
        assert time.monotonic() < deadline, f"poll {poll_id} was not tallied"
        time.sleep(0.5)


def _check(page: Any, name: str) -> Any:
    return page.locator(f"[data-client-verify] [data-check={name}]")


def _expect_verdicts(page: Any, status: str, states: dict[str, str]) -> None:
    expect(page.locator("[data-client-verify]")).to_have_attribute("data-status", status)
    for name, state in states.items():
        expect(_check(page, name)).to_have_attribute("data-state", state)


ALL_PASS = {name: "pass" for name in CHECKS}


def test_citizen_verifies_the_ballot_in_the_browser(
    stack: Stack, vote: Vote, screenshots: Path, tmp_path: Path
) -> None:
    page = vote.citizen.new_page()
    check_url = f"{stack.polls}/polls/{vote.poll_id}/check?code={vote.code}"

    # While the poll is open the ballot waits in the pool: the page says so and fails nothing.
    page.goto(f"{stack.polls}/polls/{vote.poll_id}/receipt?lang=ru")
    page.get_by_role("link", name="Проверить мой бюллетень").first.click()
    _expect_verdicts(page, "pooled", {"receipt": "pass", "inclusion": "wait"})
    client = page.locator("[data-client-verify]")
    expect(client.get_by_role("heading", name="Проверено вашим браузером")).to_be_visible()
    expect(client.locator("[data-overall]")).to_contain_text(
        f"Бюллетень {vote.code} принят и ждёт перемешивания с другими бюллетенями"
    )
    expect(_check(page, "inclusion")).to_contain_text("Ждёт перемешивания")
    expect(_check(page, "receipt")).to_contain_text(f"Квитанция для кода {vote.code}")
    expect(page.locator("[data-client-verify] .check-state").first).to_have_text("пройдена")
    page.screenshot(path=screenshots / "verify-pooled.png", full_page=True)

    # The keys the page pinned are the published ones, rendered into the page.
    pinned = json.loads(page.locator("#verify-pinned").text_content() or "")
    published = page.request.get(f"{stack.polls}/api/v1/keys").json()
    assert pinned["keys"] == published["keys"]
    assert pinned["witnesses"] == published["witnesses"] == [stack.witness.key]
    assert pinned["quorum"] == published["quorum"] == 1

    _wait_tallied(page, stack, vote.poll_id)
    page.goto(check_url)
    _expect_verdicts(page, "verified", ALL_PASS)
    expect(client.locator("[data-overall]")).to_have_text(
        f"Ваш браузер сам проверил бюллетень {vote.code}: все проверки пройдены."
    )
    expect(_check(page, "inclusion")).to_contain_text(f"Бюллетень {vote.code} — запись")
    expect(_check(page, "inclusion")).to_contain_text("из 2")
    expect(_check(page, "signature")).to_contain_text("подписана ключом журнала vmeste-polls+")
    expect(_check(page, "witnesses")).to_contain_text(
        "Контрольную точку заверили независимые свидетели: 1 из 1; требуется: 1."
    )
    # Pooled, the log had no checkpoint to remember; now this browser sees it the first time.
    expect(_check(page, "consistency")).to_contain_text("Этот браузер раньше не видел этот журнал")
    server = page.locator(".server-check")
    expect(server.get_by_role("heading", name="Проверено сервером")).to_be_visible()
    expect(server).to_contain_text("без JavaScript страница может показать только его")
    expect(server.get_by_role("heading", name="Ваш бюллетень есть в журнале")).to_be_visible()
    page.screenshot(path=screenshots / "verify-passed.png", full_page=True)

    page.reload()
    _expect_verdicts(page, "verified", ALL_PASS)
    expect(_check(page, "consistency")).to_contain_text(
        "Это та же контрольная точка, которую этот браузер уже видел."
    )

    # What this browser remembers is a file the auditor holds the published board to.
    with page.expect_download() as download:
        page.get_by_role(
            "link", name="Сохранить контрольную точку, которую помнит этот браузер"
        ).click()
    seen = tmp_path / "browser.txt"
    download.value.save_as(seen)
    assert seen.read_text().startswith(f"{pinned['origin']}\n2\n")
    keys = tmp_path / "keys.json"
    keys.write_text(json.dumps(published))
    board = f"{stack.polls}/api/v1/logs/{vote.poll_id}/board"
    audit = subprocess.run(
        [
            *(sys.executable, "-m", "cli.main", "audit", "verify", board),
            *("--keys", str(keys), "--seen", str(seen)),
        ],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert audit.returncode == 0, audit.stdout + audit.stderr
    page.goto(check_url + "&lang=en")
    _expect_verdicts(page, "verified", ALL_PASS)
    expect(client.locator("[data-overall]")).to_have_text(
        f"Your browser verified your ballot {vote.code}: every check passed."
    )
    expect(_check(page, "witnesses")).to_contain_text(
        "1 of the 1 independent witnesses cosigned the checkpoint (required: 1)."
    )
    page.screenshot(path=screenshots / "verify-passed-en.png", full_page=True)
    page.goto(check_url + "&lang=ru")
    page.close()


def test_receipt_file_alone_is_enough_to_verify(
    stack: Stack, context: Any, vote: Vote, tmp_path: Path, screenshots: Path
) -> None:
    page = context.new_page()
    _wait_tallied(page, stack, vote.poll_id)
    page.goto(f"{stack.polls}/polls/{vote.poll_id}/check")
    expect(page.locator("[data-client-verify]")).to_have_attribute("data-status", "idle")
    receipt_file = tmp_path / "receipt.txt"
    receipt_file.write_text(vote.receipt)
    page.get_by_label("Файл квитанции").set_input_files(str(receipt_file))
    _expect_verdicts(page, "verified", ALL_PASS)
    expect(_check(page, "receipt")).to_contain_text(f"Квитанция для кода {vote.code}")

    # A receipt signed by another key is refused, whatever the log says.
    impostor = forge.Key.generate("vmeste-polls")
    body = vote.receipt[: vote.receipt.rfind("\n\n") + 1]
    page.get_by_label("Текст квитанции").fill(forge.sign_note(body, impostor))
    page.get_by_role("button", name="Проверить по этой квитанции").click()
    _expect_verdicts(page, "failed", {"receipt": "fail"})
    expect(page.locator("[data-overall]")).to_contain_text(
        "Проверка не пройдена: Подпись квитанции."
    )
    page.screenshot(path=screenshots / "verify-bad-receipt.png", full_page=True)


def test_widget_verifies_the_ballot_in_the_browser(
    stack: Stack, page: Any, vote: Vote, screenshots: Path
) -> None:
    _wait_tallied(page, stack, vote.poll_id)
    widget = f"{stack.polls}/embed/polls/{vote.poll_id}"
    page.goto(f"{stack.allowed_parent}/frame?src={widget}")
    frame = page.frame_locator("#widget")
    frame.get_by_label("Код проверки").fill(vote.code)
    frame.get_by_role("button", name="Проверить").click()
    client = frame.locator("[data-client-verify]")
    expect(client).to_have_attribute("data-status", "verified")
    for name in ("inclusion", "signature", "witnesses"):
        expect(client.locator(f"[data-check={name}]")).to_have_attribute("data-state", "pass")
    expect(client.locator("[data-check=receipt]")).to_have_attribute("data-state", "skip")
    # Framed by another site the widget may be refused storage (Chromium refuses it here):
    # then it says it cannot remember the log, and links to the full check that can.
    consistency = client.locator("[data-check=consistency]")
    expect(consistency).to_have_attribute("data-state", re.compile("^(pass|skip)$"))
    if consistency.get_attribute("data-state") == "skip":
        expect(consistency).to_contain_text("не может запомнить журнал и заметить развилку")
    expect(client.locator("[data-overall]")).to_contain_text("все проверки пройдены")
    full = frame.get_by_role("link", name="Открыть полную проверку на сайте «Вместе»")
    expect(full).to_have_attribute(
        "href", f"{stack.polls}/polls/{vote.poll_id}/check?code={vote.code}"
    )
    client.scroll_into_view_if_needed()
    page.screenshot(path=screenshots / "verify-widget.png", full_page=True)
    # The widget on its own (as its frame would show it when scrolled), whole.
    page.goto(f"{widget}?code={vote.code}")
    expect(page.locator("[data-client-verify]")).to_have_attribute("data-status", "verified")
    page.screenshot(path=screenshots / "verify-widget-whole.png", full_page=True)


def test_without_javascript_the_server_check_is_the_labelled_fallback(
    stack: Stack, browser: Any, vote: Vote, screenshots: Path
) -> None:
    context = browser.new_context(java_script_enabled=False, locale="ru-RU")
    try:
        page = context.new_page()
        _wait_tallied(page, stack, vote.poll_id)
        page.goto(f"{stack.polls}/polls/{vote.poll_id}/check?code={vote.code}")
        expect(page.locator("[data-client-verify]")).to_be_hidden()
        server = page.locator(".server-check")
        expect(server.get_by_role("heading", name="Проверено сервером")).to_be_visible()
        expect(server).to_contain_text("без JavaScript страница может показать только его")
        expect(server.get_by_role("heading", name="Ваш бюллетень есть в журнале")).to_be_visible()
        page.screenshot(path=screenshots / "verify-no-javascript.png", full_page=True)
    finally:
        context.close()


# --- the server lies ----------------------------------------------------------------------


def _lie(page: Any, pattern: str | re.Pattern[str], change: Callable[[Any], Any]) -> None:
    """Answer requests to URLs matching ``pattern`` with ``change`` of the server's JSON."""

    def handle(route: Any) -> None:
        response = route.fetch()
        route.fulfill(status=200, json=change(response.json()))

    page.route(pattern, handle)


def _tracking(stack: Stack, vote: Vote) -> str:
    return f"{stack.polls}/api/v1/logs/{vote.poll_id}/tracking/**"


def _with_checkpoint(answer: dict[str, Any], note: str) -> dict[str, Any]:
    return {**answer, "inclusion": {**answer["inclusion"], "checkpoint": note}}


def _body(note: str) -> str:
    return note[: note.rfind("\n\n") + 1]


def _signature_lines(note: str) -> list[str]:
    return [line + "\n" for line in note[note.rfind("\n\n") + 2 : -1].split("\n")]


def _flip_first_hash(answer: dict[str, Any]) -> dict[str, Any]:
    proof = list(answer["inclusion"]["proof"])
    raw = bytearray(base64.b64decode(proof[0]))
    raw[0] ^= 0x80
    proof[0] = base64.b64encode(bytes(raw)).decode()
    return {**answer, "inclusion": {**answer["inclusion"], "proof": proof}}


def _resigned(answer: dict[str, Any]) -> dict[str, Any]:
    """The same checkpoint and cosignatures, but signed by another key of the log's name."""
    note = answer["inclusion"]["checkpoint"]
    log_line, *witness_lines = _signature_lines(note)
    impostor = forge.Key.generate(log_line.split(" ")[1])
    return _with_checkpoint(answer, forge.sign_note(_body(note), impostor) + "".join(witness_lines))


def _uncosigned(answer: dict[str, Any]) -> dict[str, Any]:
    """The checkpoint with the log's signature only: the witnesses' cosignatures dropped."""
    note = answer["inclusion"]["checkpoint"]
    return _with_checkpoint(answer, _body(note) + "\n" + _signature_lines(note)[0])


LIES = {
    "a wrong proof": (_flip_first_hash, "inclusion", "Бюллетень в журнале"),
    "a checkpoint signed by another key": (_resigned, "signature", "Подпись контрольной точки"),
    "a checkpoint without quorum": (_uncosigned, "witnesses", "Свидетели"),
}


@pytest.mark.parametrize("lie", list(LIES))
def test_a_lying_server_is_caught_and_the_failed_check_named(
    stack: Stack, page: Any, vote: Vote, screenshots: Path, lie: str
) -> None:
    change, failed, label = LIES[lie]
    _wait_tallied(page, stack, vote.poll_id)
    _lie(page, _tracking(stack, vote), change)
    page.goto(f"{stack.polls}/polls/{vote.poll_id}/check?code={vote.code}")
    others = {name: "pass" for name in CHECKS if name not in ("receipt", failed)}
    _expect_verdicts(page, "failed", {failed: "fail", **others})
    overall = page.locator("[data-client-verify] [data-overall]")
    expect(overall).to_contain_text(f"Проверка не пройдена: {label}.")
    expect(_check(page, failed).locator("[data-state-label]")).to_have_text("НЕ ПРОЙДЕНА")
    if failed == "witnesses":
        expect(_check(page, failed)).to_contain_text(
            "Подписей свидетелей: 0, а требуется: 1. У контрольной точки нет кворума свидетелей."
        )
    page.screenshot(path=screenshots / f"verify-lie-{lie.replace(' ', '-')}.png", full_page=True)


def _log_keys(stack: Stack) -> tuple[forge.Key, forge.Key]:
    """The log's own signing key (the operator forks the log itself) and the witness's key
    (which colludes, so that only this browser's memory stands in the way)."""
    signer = load_log_keys(Path(stack.env["VMESTE_DATA_DIR"]) / "keys", "polls").active
    witness = stack.witness.signer
    return (
        forge.Key(signer.name, signer.private_key),
        forge.Key(witness.name, witness.private_key, forge.WITNESS),
    )


def _forged_view(
    stack: Stack, answer: dict[str, Any], leaves: list[bytes], index: int
) -> dict[str, Any]:
    """An answer of a forked log holding ``leaves``, the citizen's ballot at ``index``: signed
    by the log's key and cosigned, with a valid inclusion proof."""
    log, witness = _log_keys(stack)
    origin = answer["inclusion"]["checkpoint"].split("\n", 1)[0]
    note = forge.signed_checkpoint(origin, leaves, log, witness)
    return {
        **answer,
        "inclusion": {
            "leaf_index": index,
            "tree_size": len(leaves),
            "proof": forge.b64(forge.inclusion_proof(index, leaves)),
            "checkpoint": note,
        },
    }


def _see_the_real_log_first(page: Any, stack: Stack, vote: Vote) -> dict[str, Any]:
    _wait_tallied(page, stack, vote.poll_id)
    page.goto(f"{stack.polls}/polls/{vote.poll_id}/check?code={vote.code}")
    _expect_verdicts(page, "verified", {"consistency": "pass"})
    answer: dict[str, Any] = page.request.get(
        f"{stack.polls}/api/v1/logs/{vote.poll_id}/tracking/{vote.code}"
    ).json()
    return answer


def test_a_fork_of_the_same_size_is_caught_by_the_browser_that_saw_the_log(
    stack: Stack, page: Any, vote: Vote, screenshots: Path
) -> None:
    real = _see_the_real_log_first(page, stack, vote)
    mine = bytes.fromhex(real["entry_hash"])
    index = real["inclusion"]["leaf_index"]
    leaves = [forge.leaf(b"a ballot nobody cast")] * 2
    leaves[index] = mine
    _lie(page, _tracking(stack, vote), lambda _: _forged_view(stack, real, leaves, index))
    page.reload()
    _expect_verdicts(
        page,
        "failed",
        {
            "consistency": "fail",
            "inclusion": "pass",
            "signature": "pass",
            "witnesses": "pass",
        },
    )
    expect(_check(page, "consistency")).to_contain_text(
        "Развилка: раньше этот браузер видел контрольную точку (записей: 2)"
    )
    expect(page.locator("[data-overall]")).to_contain_text(
        "Проверка не пройдена: Тот же журнал, что и раньше."
    )
    evidence = page.locator("[data-evidence]")
    expect(evidence).to_be_visible()
    expect(evidence).to_contain_text(real["inclusion"]["checkpoint"].split("\n")[2])
    page.screenshot(path=screenshots / "verify-fork-same-size.png", full_page=True)


def test_a_newer_checkpoint_that_rewrites_the_log_seen_is_caught(
    stack: Stack, page: Any, vote: Vote, screenshots: Path
) -> None:
    real = _see_the_real_log_first(page, stack, vote)
    mine = bytes.fromhex(real["entry_hash"])
    leaves = [forge.leaf(b"rewritten 1"), forge.leaf(b"rewritten 2"), mine]
    _lie(page, _tracking(stack, vote), lambda _: _forged_view(stack, real, leaves, 2))
    proof = forge.b64(forge.consistency_proof(2, leaves))
    _lie(
        page,
        re.compile(rf".*/api/v1/logs/{vote.poll_id}/consistency\?.*"),
        lambda _: {"first": 2, "second": 3, "proof": proof},
    )
    page.reload()
    _expect_verdicts(
        page, "failed", {"consistency": "fail", "inclusion": "pass", "signature": "pass"}
    )
    expect(_check(page, "consistency")).to_contain_text("Развилка")
    expect(_check(page, "consistency").locator("[data-detail]")).to_contain_text(
        "consistency proof from 2 to 3 fails"
    )
    page.screenshot(path=screenshots / "verify-fork-rewritten.png", full_page=True)
