"""A closed voter roll is shown only to the officials of the organisation that owns it.

The roll lists the pseudonyms of the people who may take part; knowing it tells who may vote
or comment in a closed poll or discussion. A poll and a comment period with a closed roll run
on the real apps (the poll to its tally); then every GET route of each app whose path names
only the poll, period, draft, log or tracking code is called by everyone else: anonymous, a
person on the roll, a citizen elsewhere, an auditor, an official of another organisation.
No answer may hold a roll member's pseudonym (a person's own, which ``/me`` shows them, aside).
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from services.discussions.app import create_app as create_discussions
from services.discussions.settings import DiscussionsSettings
from services.polls.app import create_app as create_polls
from shared.config import Settings
from shared.identity.tokens import SessionClaims
from tests.integration.discussions._support import DRAFT_MARKDOWN
from tests.integration.polls._support import GOOD_ANSWERS, SURVEY_QUESTIONS, survey_body
from tests.security._people import KAZAN, OWNER, People, Persona, bearer

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_OTHERS = (
    Persona.ANONYMOUS,
    Persona.CITIZEN_ELSEWHERE,
    Persona.AUDITOR,
    Persona.OFFICIAL_ELSEWHERE,
)


def _member(people: People, sub: str) -> dict[str, str]:
    """A confirmed citizen of the owning organisation's town with the pseudonym ``sub``."""
    claims = SessionClaims(
        sub=sub,
        trusted=True,
        birth_date=dt.date(1980, 5, 17),
        oktmo=KAZAN,
        region=KAZAN[:2],
        roles=("citizen",),
        orgs=(),
        sid=secrets.token_hex(8),
    )
    return bearer(people.minter.issue(claims))


def _ok(response: Any, status: int = 200) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def _wait(client: TestClient[Litestar], url: str, status: str, headers: dict[str, str]) -> None:
    deadline = time.monotonic() + 20
    while (now := _ok(client.get(url, headers=headers))["status"]) != status:
        assert time.monotonic() < deadline, f"{url} stayed {now}, wanted {status}"
        time.sleep(0.05)


def _views(app: Litestar, values: dict[str, str]) -> Iterator[str]:
    """Every GET path of ``app`` whose placeholders are all in ``values``, filled in."""
    for route in app.routes:
        if isinstance(route, HTTPRoute) and "GET" in route.route_handler_map:
            names = _PLACEHOLDER.findall(route.path_format)
            if all(name in values for name in names):
                yield route.path_format.format(**values)


def _leaks(
    client: TestClient[Litestar],
    paths: list[str],
    roll: dict[str, dict[str, str]],
    people: People,
) -> dict[str, list[str]]:
    """Per path and caller, the roll members (not the caller) whose pseudonym was answered."""
    callers = {p.value: people.headers(p) for p in _OTHERS} | {
        f"on-roll:{sub[:8]}": headers for sub, headers in roll.items()
    }
    found: dict[str, list[str]] = {}
    for name, headers in callers.items():
        for path in paths:
            for accept in ("application/json", "text/html"):
                text = client.get(path, headers={**headers, "accept": accept}).text
                seen = [s[:8] for s in roll if s in text and not name.endswith(s[:8])]
                if seen:
                    found.setdefault(f"{name} GET {path} ({accept})", seen)
    return found


@pytest.fixture
def roll(people: People) -> dict[str, dict[str, str]]:
    """Three people on the closed roll, by pseudonym, with their request headers."""
    subs = [secrets.token_hex(32) for _ in range(3)]
    return {sub: _member(people, sub) for sub in subs}


def test_a_polls_closed_roll_is_shown_to_no_one_but_its_organisations_officials(
    settings: Settings, people: People, roll: dict[str, dict[str, str]]
) -> None:
    official = people.headers(Persona.OFFICIAL)
    app = create_polls(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        body = survey_body(
            questions=SURVEY_QUESTIONS, closes_in=3.0, eligibility={"roll": sorted(roll)}
        )
        poll_id = str(_ok(client.post("/api/v1/polls", json=body, headers=official), 201)["id"])
        _ok(client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official))
        _wait(client, f"/api/v1/polls/{poll_id}", "open", official)
        voter = next(iter(roll.values()))
        receipt = _ok(
            client.post(
                f"/api/v1/polls/{poll_id}/ballots", json={"answers": GOOD_ANSWERS}, headers=voter
            ),
            201,
        )
        _wait(client, f"/api/v1/polls/{poll_id}", "tallied", official)

        # The organisation's officials manage the roll and see it whole.
        managed = _ok(client.get(f"/api/v1/polls/{poll_id}", headers=official))
        assert sorted(managed["eligibility"]["roll"]) == sorted(roll)
        paths = list(
            _views(app, {"poll_id": poll_id, "log_id": poll_id, "code": receipt["tracking_code"]})
        )
        assert f"/api/v1/polls/{poll_id}" in paths
        assert f"/polls/{poll_id}" in paths
        public = _ok(client.get(f"/api/v1/polls/{poll_id}"))
        assert public["eligibility"]["roll"] is None
        assert public["closed_roll"] is True
        assert not _leaks(client, [*paths, "/api/v1/polls"], roll, people)


def test_a_periods_closed_roll_is_shown_to_no_one_but_its_organisations_officials(
    settings: Settings,
    options: DiscussionsSettings,
    people: People,
    roll: dict[str, dict[str, str]],
) -> None:
    official = people.headers(Persona.OFFICIAL)
    app = create_discussions(settings, options)
    with TestClient(app, raise_server_exceptions=False) as client:
        draft = _ok(
            client.post(
                "/api/v1/drafts",
                json={
                    "organisation": OWNER,
                    "title": "О правилах благоустройства",
                    "kind": "постановление",
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
                    "eligibility": {"roll": sorted(roll)},
                },
                headers=official,
            ),
            201,
        )
        period_id = str(period["id"])
        assert sorted(period["eligibility"]["roll"]) == sorted(roll)
        _ok(client.post(f"/api/v1/periods/{period_id}/announce", headers=official), 201)
        _wait(client, f"/api/v1/periods/{period_id}", "open", official)
        comment = _ok(
            client.post(
                f"/api/v1/periods/{period_id}/comments",
                json={"section": "", "stance": "support", "text": "Поддерживаю проект."},
                headers=next(iter(roll.values())),
            ),
            201,
        )

        managed = _ok(client.get(f"/api/v1/periods/{period_id}", headers=official))
        assert sorted(managed["eligibility"]["roll"]) == sorted(roll)
        values = {
            "period_id": period_id,
            "draft_id": str(draft["id"]),
            "log_id": period_id,
            "comment_id": str(comment["id"]),
            "code": str(comment.get("tracking_code", "")),
        }
        paths = list(_views(app, values))
        assert f"/api/v1/periods/{period_id}" in paths
        assert f"/discussions/{period_id}" in paths
        public = _ok(client.get(f"/api/v1/periods/{period_id}"))
        assert public["eligibility"]["roll"] is None
        assert public["closed_roll"] is True
        listings = ["/api/v1/periods", f"/api/v1/periods?draft={draft['id']}", "/"]
        assert not _leaks(client, [*paths, *listings], roll, people)
