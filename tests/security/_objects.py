"""The objects of organisation ``kazan`` that paths name: what the fuzzer and the
authorisation matrix point at so that path parameters resolve.

Written against a synchronous client (Litestar's TestClient or schemathesis' ASGI client):
both run the app's lifespan and requests in one background event loop.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any, Protocol

from tests.integration.discussions._support import DRAFT_MARKDOWN
from tests.integration.polls._support import FREE_TEXT, GOOD_ANSWERS, SURVEY_QUESTIONS, survey_body
from tests.security._people import OWNER, People, Persona

__all__ = (
    "Client",
    "closing_period",
    "closing_poll",
    "comment_on",
    "discussions_objects",
    "draft_period",
    "draft_poll",
    "open_period",
    "open_polls",
    "polls_objects",
    "published_comment",
    "responded_comment",
)


class _Response(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def text(self) -> str: ...

    def json(self) -> Any: ...


class Client(Protocol):
    def get(self, url: str, *, headers: dict[str, str] | None = ...) -> _Response: ...

    def post(
        self, url: str, *, json: Any = ..., headers: dict[str, str] | None = ...
    ) -> _Response: ...


def _ok(response: _Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json() if response.text else {}
    assert isinstance(body, dict)
    return body


def _wait(client: Client, url: str, status: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 15
    while (now := _ok(client.get(url, headers=headers), 200)["status"]) != status:
        assert time.monotonic() < deadline, f"{url} stayed {now}, wanted {status}"
        time.sleep(0.05)


def polls_objects(client: Client, people: People) -> dict[str, str]:
    """An open survey of ``kazan`` with one ballot in it; ``poll_id`` and ``log_id`` name it,
    ``code`` is that ballot's tracking code. Its free-text question keeps its entries to the
    organisation and auditors."""
    official = people.headers(Persona.OFFICIAL)
    body = survey_body(questions=[*SURVEY_QUESTIONS, FREE_TEXT])
    created = _ok(client.post("/api/v1/polls", json=body, headers=official), 201)
    poll_id = str(created["id"])
    _ok(client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official), 200)
    _wait(client, f"/api/v1/polls/{poll_id}", "open", official)
    receipt = _ok(
        client.post(
            f"/api/v1/polls/{poll_id}/ballots",
            json={"answers": GOOD_ANSWERS},
            headers=people.headers(Persona.CITIZEN),
        ),
        201,
    )
    return {
        "poll_id": poll_id,
        "log_id": str(created.get("log", poll_id)).rsplit("/", 1)[-1],
        "code": str(receipt.get("tracking_code", "")),
    }


def draft_poll(client: Client, official: dict[str, str]) -> dict[str, str]:
    """A draft survey of ``kazan``, seen only by its organisation."""
    created = _ok(client.post("/api/v1/polls", json=survey_body(), headers=official), 201)
    return {"poll_id": str(created["id"])}


def open_polls(client: Client, official: dict[str, str], count: int) -> list[dict[str, str]]:
    """``count`` open surveys of ``kazan``, no ballot in them yet (scheduled together, so the
    scheduler opens them in one wait)."""
    polls = [draft_poll(client, official) for _ in range(count)]
    for poll in polls:
        _ok(client.post(f"/api/v1/polls/{poll['poll_id']}/schedule", headers=official), 200)
    for poll in polls:
        _wait(client, f"/api/v1/polls/{poll['poll_id']}", "open", official)
    return polls


def closing_poll(client: Client, official: dict[str, str], closes_in: float) -> dict[str, str]:
    """A survey of ``kazan`` with a free-text question, open now and closing in ``closes_in``
    seconds (not waited for)."""
    body = survey_body(questions=[*SURVEY_QUESTIONS, FREE_TEXT], closes_in=closes_in)
    poll_id = str(_ok(client.post("/api/v1/polls", json=body, headers=official), 201)["id"])
    _ok(client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official), 200)
    return {"poll_id": poll_id, "log_id": poll_id}


def _draft(client: Client, official: dict[str, str]) -> str:
    body = {
        "organisation": OWNER,
        "title": "О правилах благоустройства",
        "kind": "постановление",
        "markdown": DRAFT_MARKDOWN,
    }
    return str(_ok(client.post("/api/v1/drafts", json=body, headers=official), 201)["id"])


def draft_period(
    client: Client, official: dict[str, str], *, starts_in: float = 3600, ends_in: float = 7200
) -> dict[str, str]:
    """A comment period of ``kazan`` not yet announced, on a draft of its own."""
    draft_id = _draft(client, official)
    now = dt.datetime.now(dt.UTC)
    period = _ok(
        client.post(
            f"/api/v1/drafts/{draft_id}/periods",
            json={
                "starts_at": (now + dt.timedelta(seconds=starts_in)).isoformat(),
                "ends_at": (now + dt.timedelta(seconds=ends_in)).isoformat(),
                "eligibility": {"min_age": 14},
            },
            headers=official,
        ),
        201,
    )
    return {"draft_id": draft_id, "period_id": str(period["id"])}


def closing_period(client: Client, official: dict[str, str], ends_in: float) -> dict[str, str]:
    """A comment period of ``kazan`` announced to open now and close in ``ends_in`` seconds
    (not waited for)."""
    made = draft_period(client, official, starts_in=-1, ends_in=ends_in)
    _ok(client.post(f"/api/v1/periods/{made['period_id']}/announce", headers=official), 201)
    return made


def open_period(client: Client, official: dict[str, str]) -> dict[str, str]:
    """A comment period of ``kazan`` open for the next hour."""
    made = closing_period(client, official, 3600)
    _wait(client, f"/api/v1/periods/{made['period_id']}", "open", official)
    return made


def comment_on(client: Client, period_id: str, author: dict[str, str]) -> str:
    """A comment awaiting moderation, by ``author``."""
    comment = _ok(
        client.post(
            f"/api/v1/periods/{period_id}/comments",
            json={"stance": "support", "text": "Поддерживаю."},
            headers=author,
        ),
        201,
    )
    return str(comment["id"])


def published_comment(
    client: Client, official: dict[str, str], period_id: str, author: dict[str, str]
) -> str:
    comment_id = comment_on(client, period_id, author)
    _ok(
        client.post(
            f"/api/v1/comments/{comment_id}/moderation",
            json={"decision": "publish"},
            headers=official,
        ),
        201,
    )
    return comment_id


def responded_comment(
    client: Client, official: dict[str, str], period_id: str, author: dict[str, str]
) -> str:
    """A published comment by ``author`` that the organisation has answered."""
    comment_id = published_comment(client, official, period_id, author)
    response = client.post(
        f"/api/v1/comments/{comment_id}/response",
        json={"disposition": "accepted", "justification": "Учтено."},
        headers=official,
    )
    assert response.status_code == 204, response.text
    return comment_id


def discussions_objects(client: Client, people: People) -> dict[str, str]:
    """A draft of ``kazan`` with an open comment period and one comment in its queue."""
    official = people.headers(Persona.OFFICIAL)
    draft = _ok(
        client.post(
            "/api/v1/drafts",
            json={
                "organisation": OWNER,
                "title": "О правилах благоустройства",
                "kind": "постановление",
                "summary": "Новые правила благоустройства города.",
                "official_position": "Начальник управления благоустройства",
                "markdown": DRAFT_MARKDOWN,
            },
            headers=official,
        ),
        201,
    )
    now = dt.datetime.now(dt.UTC)
    period = _ok(
        client.post(
            f"/api/v1/drafts/{draft['id']}/periods",
            json={
                "starts_at": (now - dt.timedelta(seconds=1)).isoformat(),
                "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
                "eligibility": {"min_age": 14},
            },
            headers=official,
        ),
        201,
    )
    period_id = str(period["id"])
    _ok(client.post(f"/api/v1/periods/{period_id}/announce", headers=official), 201)
    _wait(client, f"/api/v1/periods/{period_id}", "open", official)
    comment = _ok(
        client.post(
            f"/api/v1/periods/{period_id}/comments",
            json={
                "section": "",
                "stance": "object",
                "text": "Предлагаю сохранить деревья во дворах.",
                "proposed_wording": "",
            },
            headers=people.headers(Persona.CITIZEN),
        ),
        201,
    )
    return {
        "draft_id": str(draft["id"]),
        "period_id": period_id,
        "log_id": str(period.get("log", period_id)).rsplit("/", 1)[-1],
        "comment_id": str(comment["id"]),
        "code": str(comment.get("tracking_code", comment.get("tracking_number", ""))),
    }
