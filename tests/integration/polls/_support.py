"""Polls the tests create, and waiting for the scheduler."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx

SURVEY_QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "single_choice",
        "id": "park",
        "text": "Should the park get new lights?",
        "options": [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}],
    },
    {
        "kind": "multiple_choice",
        "id": "use",
        "text": "What do you use the park for?",
        "options": [
            {"id": "walk", "label": "Walks"},
            {"id": "sport", "label": "Sport"},
            {"id": "kids", "label": "Children"},
        ],
        "min_choices": 1,
        "max_choices": 2,
    },
    {
        "kind": "ranking",
        "id": "first",
        "text": "What to do first?",
        "options": [
            {"id": "light", "label": "Light"},
            {"id": "benches", "label": "Benches"},
            {"id": "paths", "label": "Paths"},
        ],
    },
    {"kind": "scale", "id": "happy", "text": "How happy are you?", "min": 1, "max": 5},
]

FREE_TEXT: dict[str, Any] = {
    "kind": "free_text",
    "id": "comment",
    "text": "Anything else?",
    "max_length": 40,
    "required": False,
}

GOOD_ANSWERS: dict[str, Any] = {
    "park": "yes",
    "use": ["walk"],
    "first": ["light", "paths", "benches"],
    "happy": 4,
}


def iso(at: dt.datetime) -> str:
    return at.isoformat()


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def survey_body(
    *,
    organisation: str = "kazan",
    questions: list[dict[str, Any]] | None = None,
    opens_in: float = 0.0,
    closes_in: float = 3600.0,
    eligibility: dict[str, Any] | None = None,
    kind: str = "survey",
    **extra: Any,
) -> dict[str, Any]:
    start = now()
    return {
        "organisation": organisation,
        "title": "The park",
        "kind": kind,
        "questions": questions or SURVEY_QUESTIONS,
        "eligibility": eligibility or {},
        "opens_at": iso(start + dt.timedelta(seconds=opens_in)),
        "closes_at": iso(start + dt.timedelta(seconds=closes_in)),
        **extra,
    }


def project_question(
    costs: dict[str, int], budget: int, rule: str, ballot_kind: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {
        "kind": "project_vote",
        "id": "pb",
        "text": "Which projects should the district fund?",
        "projects": [{"id": p, "title": f"Project {p}", "cost": c} for p, c in costs.items()],
        "budget": budget,
        "ballot_kind": ballot_kind or {"kind": "approval", "max_approvals": len(costs)},
        "rule": rule,
    }


async def create(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    response = await client.post("/api/v1/polls", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def wait_status(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    poll_id: str,
    status: str,
    wait_s: float = 15.0,
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + wait_s
    while True:
        body: dict[str, Any] = (
            await client.get(f"/api/v1/polls/{poll_id}", headers=headers)
        ).json()
        if body.get("status") == status:
            return body
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"poll {poll_id} stayed {body.get('status')}, wanted {status}")
        await asyncio.sleep(0.05)


async def open_poll(
    client: httpx.AsyncClient, official: dict[str, str], body: dict[str, Any]
) -> str:
    """Create, schedule and wait for the scheduler to open a poll."""
    poll_id = await create(client, official, body)
    scheduled = await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official)
    assert scheduled.status_code == 200, scheduled.text
    await wait_status(client, official, poll_id, "open")
    return poll_id


async def cast(
    client: httpx.AsyncClient,
    voter: dict[str, str],
    poll_id: str,
    answers: dict[str, Any],
    **headers: str,
) -> httpx.Response:
    return await client.post(
        f"/api/v1/polls/{poll_id}/ballots", json={"answers": answers}, headers={**voter, **headers}
    )
