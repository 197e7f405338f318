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

__all__ = ("Client", "discussions_objects", "polls_objects")


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
        "log_id": str(created.get("log", poll_id)),
        "code": str(receipt.get("tracking_code", "")),
    }


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
        "log_id": str(period.get("log", period_id)),
        "comment_id": str(comment["id"]),
        "code": str(comment.get("tracking_code", comment.get("tracking_number", ""))),
    }
