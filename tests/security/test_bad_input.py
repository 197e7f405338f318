"""Hostile bodies are refused with problem+json and change nothing: deeply nested JSON,
over-long strings, wrong types, huge numbers."""

from __future__ import annotations

from litestar.testing import TestClient

from services.discussions.app import create_app as create_discussions
from services.discussions.settings import DiscussionsSettings
from services.polls.app import create_app as create_polls
from shared.config import Settings
from tests.security._objects import discussions_objects, polls_objects
from tests.security._people import People, Persona

DEEP = b'{"answers": {"park": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"


def _refused(response: object, status: int = 400) -> None:
    assert response.status_code == status, response.text  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]


def test_hostile_ballots_are_refused_and_count_nothing(settings: Settings, people: People) -> None:
    with TestClient(create_polls(settings), raise_server_exceptions=False) as client:
        objects = polls_objects(client, people)
        path = f"/api/v1/polls/{objects['poll_id']}/ballots"
        voter = people.headers(Persona.CITIZEN)
        headers = {**voter, "content-type": "application/json"}
        _refused(client.post(path, content=DEEP, headers=headers))
        _refused(client.post(path, json={"answers": {"park": "y" * 100_000}}, headers=voter))
        _refused(client.post(path, json={"answers": {"happy": 10**400}}, headers=voter))
        _refused(client.post(path, json={"answers": "everything"}, headers=voter))
        results = client.get(
            f"/api/v1/polls/{objects['poll_id']}/analytics",
            headers=people.headers(Persona.OFFICIAL),
        )
        assert results.json()["voters"] == 1  # only the ballot cast while setting up


def test_hostile_comments_are_refused_and_store_nothing(
    settings: Settings, options: DiscussionsSettings, people: People
) -> None:
    with TestClient(create_discussions(settings, options), raise_server_exceptions=False) as c:
        objects = discussions_objects(c, people)
        path = f"/api/v1/periods/{objects['period_id']}/comments"
        citizen = people.headers(Persona.CITIZEN)
        deep = b'{"stance": "object", "text": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
        _refused(
            c.post(path, content=deep, headers={**citizen, "content-type": "application/json"})
        )
        _refused(c.post(path, json={"stance": "object", "text": "x" * 100_000}, headers=citizen))
        _refused(c.post(path, json={"stance": "undecided", "text": "Да"}, headers=citizen))
        queue = c.get(
            f"/api/v1/periods/{objects['period_id']}/moderation-queue",
            headers=people.headers(Persona.OFFICIAL),
        ).json()["items"]
        assert len(queue) == 1  # only the comment made while setting up
