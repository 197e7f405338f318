"""A citizen searches a discussion's comments by words and stance, goes on to the second page
of what was found, and sees exactly the comments the API returns for the same query."""

from __future__ import annotations

import datetime as dt
import secrets
import time
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import expect

from services.discussions.pages.citizen import COMMENTS_PAGE
from shared.identity.claims import OrganisationGrant
from shared.identity.keys import SessionKeyRing
from shared.identity.tokens import SessionClaims, TokenService
from tests.browser.conftest import TYUMEN_OKTMO, Stack

DRAFT = {
    "organisation": "tyumen-city",
    "title": "О правилах озеленения дворов",
    "kind": "постановление",
    "markdown": "# 1. Общие положения\nПравила озеленения.\n# 2. Деревья\nПосадка деревьев.\n",
}
FOUND = COMMENTS_PAGE + 7
"""Comments the search finds: more than one page of them."""


class _Tokens:
    """Session tokens signed with the stack's own key ring, for the many distinct authors
    a second page of comments needs (each person may write only a few comments a minute)."""

    def __init__(self, stack: Stack) -> None:
        keys = Path(stack.env["VMESTE_DATA_DIR"]) / "keys"
        self._service = TokenService(
            SessionKeyRing.load(keys, create=False), lifetime=dt.timedelta(hours=1)
        )

    def bearer(self, orgs: tuple[OrganisationGrant, ...] = ()) -> dict[str, str]:
        claims = SessionClaims(
            sub=secrets.token_hex(16),
            trusted=True,
            birth_date=dt.date(1980, 5, 17),
            oktmo=TYUMEN_OKTMO,
            region=TYUMEN_OKTMO[:2],
            roles=("citizen", "official") if orgs else ("citizen",),
            orgs=orgs,
            sid=secrets.token_hex(8),
        )
        return {"Authorization": f"Bearer {self._service.issue(claims)[0]}"}


def _discussion(client: httpx.Client, tokens: _Tokens) -> str:
    """An open period with FOUND objections mentioning trees among comments that do not
    match, every one published."""
    moderator = tokens.bearer(
        (
            OrganisationGrant(
                org="tyumen-city",
                role="official",
                territory=(TYUMEN_OKTMO,),
                permissions=("discussions:manage", "moderate"),
            ),
        )
    )
    draft = client.post("/api/v1/drafts", json=DRAFT, headers=moderator)
    assert draft.status_code == 201, draft.text
    now = dt.datetime.now(dt.UTC)
    period = client.post(
        f"/api/v1/drafts/{draft.json()['id']}/periods",
        json={
            "starts_at": (now - dt.timedelta(seconds=1)).isoformat(),
            "ends_at": (now + dt.timedelta(days=30)).isoformat(),
            "eligibility": {"min_age": 14},
        },
        headers=moderator,
    )
    assert period.status_code == 201, period.text
    period_id = str(period.json()["id"])
    assert client.post(f"/api/v1/periods/{period_id}/announce", headers=moderator).is_success
    deadline = time.monotonic() + 15
    while client.get(f"/api/v1/periods/{period_id}").json()["status"] != "open":
        assert time.monotonic() < deadline, "the period did not open"
        time.sleep(0.2)
    comments = [(f"Сохраните деревья во дворе дома {n}", "object") for n in range(FOUND)]
    comments[5:5] = [("Деревья во дворе нужны", "support"), ("Уберите парковку", "object")]
    for text, stance in comments:
        sent = client.post(
            f"/api/v1/periods/{period_id}/comments",
            json={"stance": stance, "text": text, "section": "p2"},
            headers=tokens.bearer(),
        )
        assert sent.status_code == 201, sent.text
        published = client.post(
            f"/api/v1/comments/{sent.json()['id']}/moderation",
            json={"decision": "publish"},
            headers=moderator,
        )
        assert published.status_code == 201, published.text
    return period_id


def _api_pages(client: httpx.Client, period_id: str, **query: str) -> list[list[str]]:
    """The ids of every page the API's search gives for ``query``, pages as the page cuts them."""
    pages: list[list[str]] = []
    cursor: str | None = None
    while True:
        params = {**query, "limit": str(COMMENTS_PAGE), **({"cursor": cursor} if cursor else {})}
        answer = client.get(f"/api/v1/periods/{period_id}/search", params=params)
        assert answer.status_code == 200, answer.text
        pages.append([c["id"] for c in answer.json()["items"]])
        cursor = answer.json()["next"]
        if cursor is None:
            return pages


def _shown(page: Any) -> list[str]:
    return [
        str(i)
        for i in page.locator("#results [data-comment]").evaluate_all(
            "items => items.map(item => item.dataset.comment)"
        )
    ]


def test_citizen_searches_by_words_and_stance_and_pages_through_the_results(
    stack: Stack, page: Any, screenshots: Path
) -> None:
    with httpx.Client(base_url=stack.discussions, timeout=30) as client:
        period_id = _discussion(client, _Tokens(stack))
        expected = _api_pages(client, period_id, q="деревья", stance="object")
    assert [len(p) for p in expected] == [COMMENTS_PAGE, FOUND - COMMENTS_PAGE]

    page.goto(f"{stack.discussions}/discussions/{period_id}")
    page.get_by_label("Слова из предложения").fill("деревья")
    page.get_by_label("Позиция автора").select_option(label="Возражаю")
    page.get_by_role("button", name="Найти предложения").click()
    page.wait_for_url("**/discussions/*stance=object*")
    assert "q=%D0%B4%D0%B5%D1%80%D0%B5%D0%B2%D1%8C%D1%8F" in page.url
    expect(page.locator("#results [data-comment]")).to_have_count(COMMENTS_PAGE)
    assert _shown(page) == expected[0]
    expect(page.locator("#results")).not_to_contain_text("Деревья во дворе нужны")
    expect(page.locator("#results")).not_to_contain_text("Уберите парковку")

    page.get_by_role("link", name="Следующие найденные предложения").click()
    expect(page.locator("#results [data-comment]")).to_have_count(FOUND - COMMENTS_PAGE)
    assert _shown(page) == expected[1]
    expect(page.get_by_role("link", name="Следующие найденные предложения")).to_have_count(0)
    expect(page.get_by_label("Слова из предложения")).to_have_value("деревья")
    expect(page.get_by_label("Позиция автора")).to_have_value("object")
    page.screenshot(path=screenshots / "discussion-search-page-2.png", full_page=True)

    # A link to the second page shows the same comments to whoever opens it.
    linked = page.url
    page.goto(f"{stack.discussions}/discussions/{period_id}")
    page.goto(linked)
    assert _shown(page) == expected[1]

    page.get_by_role("link", name="К первым найденным предложениям").click()
    assert _shown(page) == expected[0]

    page.get_by_label("Слова из предложения").fill("фонтан")
    page.get_by_role("button", name="Найти предложения").click()
    expect(page.locator("[data-no-results]")).to_have_text(
        "Среди опубликованных предложений ничего не найдено."
    )
    page.screenshot(path=screenshots / "discussion-search-nothing-found.png", full_page=True)
