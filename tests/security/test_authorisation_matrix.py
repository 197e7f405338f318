"""Who may call what, generated from the route table of each service's real ``create_app``.

Every HTTP route (API, pages, sign-in, health, schema, static files) is called as each of
{anonymous, citizen, citizen of another municipality, official of another organisation,
auditor} against objects of organisation ``kazan``; the answer must be of the class the
POLICY table below declares for that route. A route missing from the table fails the suite:
whoever adds an endpoint decides who may call it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from enum import Enum
from typing import Any

import pytest
from litestar import Litestar
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from services.discussions.app import create_app as create_discussions
from services.discussions.settings import DiscussionsSettings
from services.polls.app import create_app as create_polls
from shared.config import Settings
from tests.integration.polls._support import GOOD_ANSWERS, survey_body
from tests.security._objects import discussions_objects, polls_objects
from tests.security._people import OWNER, People, Persona
from tests.unit.discussions._files import docx

PROBLEM = "application/problem+json"
CALLERS = (
    Persona.ANONYMOUS,
    Persona.CITIZEN,
    Persona.CITIZEN_ELSEWHERE,
    Persona.OFFICIAL_ELSEWHERE,
    Persona.AUDITOR,
)


class Answer(Enum):
    ALLOW = "not refused (< 500, neither 401 nor 403)"
    UNAUTHENTICATED = "401 problem+json"
    REFUSED = "401, 403 or 404 problem+json"
    SIGN_IN = "303 to the sign-in page"


class Access(Enum):
    """Who a route serves; each maps every caller to the answer it must get."""

    PUBLIC = "anyone"
    SIGNED_IN = "any signed-in person"
    ELIGIBLE = "a person living in the owner's territory"
    OWNER = "an official of the owning organisation"
    OWNER_OR_AUDITOR = "the owning organisation's officials and auditors"
    OPERATOR = "auditors and admins (platform-wide, no organisation)"
    AUTHOR = "the author of the comment (none of the callers)"
    REFRESH_COOKIE = "the holder of a refresh cookie (none of the callers)"
    FORM = "a cookie session with its CSRF token (none of the callers)"
    PAGE_SIGNED_IN = "a page for any signed-in person"
    PAGE_OWNER = "a page for the owning organisation's officials"
    PAGE_AUDITOR = "a page for auditors"


_A, _U, _R, _S = Answer.ALLOW, Answer.UNAUTHENTICATED, Answer.REFUSED, Answer.SIGN_IN
EXPECTED: dict[Access, tuple[Answer, Answer, Answer, Answer, Answer]] = {
    # anonymous, citizen, citizen elsewhere, official elsewhere, auditor
    Access.PUBLIC: (_A, _A, _A, _A, _A),
    Access.SIGNED_IN: (_U, _A, _A, _A, _A),
    Access.ELIGIBLE: (_U, _A, _R, _R, _A),
    Access.OWNER: (_U, _R, _R, _R, _R),
    Access.OWNER_OR_AUDITOR: (_R, _R, _R, _R, _A),
    Access.OPERATOR: (_R, _R, _R, _R, _A),
    Access.AUTHOR: (_U, _R, _R, _R, _R),
    Access.REFRESH_COOKIE: (_U, _U, _U, _U, _U),
    # Anonymous: asked to sign in first. Signed in without the session's token: refused.
    Access.FORM: (_S, _R, _R, _R, _R),
    Access.PAGE_SIGNED_IN: (_S, _A, _A, _A, _A),
    Access.PAGE_OWNER: (_S, _R, _R, _R, _R),
    Access.PAGE_AUDITOR: (_S, _R, _R, _R, _A),
}


@dataclass(frozen=True)
class Rule:
    access: Access
    body: Callable[[], Any] | None = None
    """JSON body to send: a valid one where the handler checks ownership only after
    reading it, so that the official of another organisation meets that check."""
    files: Callable[[], dict[str, Any]] | None = None
    """Multipart form fields and files, for the same reason."""


ANYONE, SIGNED_IN, ELIGIBLE, OWNERS, OWNERS_OR_AUDITORS = (
    Access.PUBLIC,
    Access.SIGNED_IN,
    Access.ELIGIBLE,
    Access.OWNER,
    Access.OWNER_OR_AUDITOR,
)
_COMMON: dict[str, Rule] = {
    "GET /health/live": Rule(ANYONE),
    "GET /health/ready": Rule(ANYONE),
    "GET /metrics": Rule(ANYONE),
    "GET /auth/login": Rule(ANYONE),
    "GET /auth/callback": Rule(ANYONE),
    "GET /auth/dev": Rule(ANYONE),
    "POST /auth/refresh": Rule(Access.REFRESH_COOKIE),
    "POST /auth/logout": Rule(ANYONE),
    "POST /auth/logout/everywhere": Rule(SIGNED_IN),
    "GET /me": Rule(SIGNED_IN),
    "GET /schema": Rule(ANYONE),
    "GET /schema/scalar": Rule(ANYONE),
    "GET /schema/openapi.json": Rule(ANYONE),
    "GET /schema/openapi.yaml": Rule(ANYONE),
    "GET /schema/openapi.yml": Rule(ANYONE),
    "GET /schema/{path}": Rule(ANYONE),
    "GET /static/ui/{file_path}": Rule(ANYONE),
    "HEAD /static/ui/{file_path}": Rule(ANYONE),
    "GET /api/v1/keys": Rule(ANYONE),
    "GET /api/v1/logs/{log_id}/checkpoint": Rule(ANYONE),
    "GET /api/v1/logs/{log_id}/consistency": Rule(ANYONE),
    "GET /api/v1/logs/{log_id}/inclusion": Rule(ANYONE),
    "GET /api/v1/logs/{log_id}/tracking/{code}": Rule(ANYONE),
    "GET /audit": Rule(ANYONE),
    "GET /": Rule(ANYONE),
    "GET /api/v1/territory/municipalities": Rule(ANYONE),
    "GET /api/v1/territory/refused-codes": Rule(Access.OPERATOR),
    "GET /territory/refused": Rule(Access.PAGE_AUDITOR),
}
POLICY: dict[str, dict[str, Rule]] = {
    "polls": {
        **_COMMON,
        "GET /api/v1/polls": Rule(SIGNED_IN),
        "POST /api/v1/polls": Rule(OWNERS, lambda: survey_body(organisation=OWNER)),
        "POST /api/v1/polls/import": Rule(OWNERS, lambda: _pb_import()),
        "GET /api/v1/polls/{poll_id}": Rule(ANYONE),
        "PATCH /api/v1/polls/{poll_id}": Rule(OWNERS, lambda: {"title": "Renamed"}),
        "POST /api/v1/polls/{poll_id}/schedule": Rule(OWNERS),
        "POST /api/v1/polls/{poll_id}/cancel": Rule(OWNERS, lambda: {"reason": "Not needed"}),
        "GET /api/v1/polls/{poll_id}/export.pb": Rule(ANYONE),
        "POST /api/v1/polls/{poll_id}/ballots": Rule(ELIGIBLE, lambda: {"answers": GOOD_ANSWERS}),
        "GET /api/v1/polls/{poll_id}/analytics": Rule(OWNERS_OR_AUDITORS),
        "GET /api/v1/polls/{poll_id}/analytics.csv": Rule(OWNERS_OR_AUDITORS),
        "GET /api/v1/polls/{poll_id}/results": Rule(ANYONE),
        "GET /api/v1/polls/{poll_id}/results.csv": Rule(ANYONE),
        # The survey has a free-text question: its ballots are for the organisation and auditors.
        "GET /api/v1/logs/{log_id}/board": Rule(OWNERS_OR_AUDITORS),
        "GET /api/v1/logs/{log_id}/entries": Rule(OWNERS_OR_AUDITORS),
        "GET /polls/{poll_id}": Rule(ANYONE),
        "POST /polls/{poll_id}/ballot": Rule(Access.FORM),
        "GET /polls/{poll_id}/check": Rule(ANYONE),
        "GET /polls/{poll_id}/receipt": Rule(ANYONE),
        "GET /polls/{poll_id}/receipt.txt": Rule(ANYONE),
        "GET /polls/{poll_id}/results": Rule(ANYONE),
        "GET /embed/polls/{poll_id}": Rule(ANYONE),
        # The desk and the builder show only the caller's own organisations.
        "GET /manage": Rule(Access.PAGE_SIGNED_IN),
        "GET /manage/polls/new": Rule(Access.PAGE_SIGNED_IN),
        "POST /manage/polls/new": Rule(Access.FORM),
        "GET /manage/polls/{poll_id}": Rule(Access.PAGE_OWNER),
        "GET /manage/polls/{poll_id}/edit": Rule(Access.PAGE_OWNER),
        "POST /manage/polls/{poll_id}/edit": Rule(Access.FORM),
        "POST /manage/polls/{poll_id}/schedule": Rule(Access.FORM),
        "POST /manage/polls/{poll_id}/cancel": Rule(Access.FORM),
    },
    "discussions": {
        **_COMMON,
        "GET /api/v1/logs/{log_id}/board": Rule(ANYONE),
        "GET /api/v1/logs/{log_id}/entries": Rule(ANYONE),
        "GET /api/v1/drafts": Rule(ANYONE),
        "POST /api/v1/drafts": Rule(OWNERS, lambda: _draft()),
        "POST /api/v1/drafts/import-docx": Rule(OWNERS, files=lambda: _docx_import()),
        "GET /api/v1/drafts/{draft_id}": Rule(ANYONE),
        "POST /api/v1/drafts/{draft_id}/versions": Rule(OWNERS, lambda: {"markdown": "# 1. Text"}),
        "POST /api/v1/drafts/{draft_id}/attachments": Rule(OWNERS, files=lambda: _attachment()),
        "GET /api/v1/drafts/{draft_id}/attachments/{attachment_id}": Rule(ANYONE),
        "POST /api/v1/drafts/{draft_id}/periods": Rule(OWNERS, lambda: _period()),
        "GET /api/v1/periods": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}": Rule(ANYONE),
        "PUT /api/v1/periods/{period_id}/schedule": Rule(
            OWNERS, lambda: _period(eligibility=False)
        ),
        "POST /api/v1/periods/{period_id}/announce": Rule(OWNERS),
        "GET /api/v1/periods/{period_id}/extensions": Rule(ANYONE),
        "POST /api/v1/periods/{period_id}/extensions": Rule(
            OWNERS, lambda: {"ends_at": _at(hours=48), "reason": "More time to comment"}
        ),
        "GET /api/v1/periods/{period_id}/comments": Rule(ANYONE),
        "POST /api/v1/periods/{period_id}/comments": Rule(
            ELIGIBLE, lambda: {"stance": "support", "text": "Поддерживаю."}
        ),
        "GET /api/v1/periods/{period_id}/comments.html": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}/search": Rule(ANYONE),
        "GET /api/v1/me/comments": Rule(SIGNED_IN),
        "POST /api/v1/comments/{comment_id}/rating": Rule(Access.AUTHOR, lambda: {"rating": 5}),
        "GET /api/v1/periods/{period_id}/moderation-queue": Rule(OWNERS),
        "POST /api/v1/comments/{comment_id}/moderation": Rule(
            OWNERS, lambda: {"decision": "publish"}
        ),
        "POST /api/v1/comments/{comment_id}/response": Rule(
            OWNERS, lambda: {"disposition": "accepted", "justification": "Учтено."}
        ),
        "POST /api/v1/periods/{period_id}/report": Rule(OWNERS),
        "GET /api/v1/periods/{period_id}/report.json": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}/report.html": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}/report.csv": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}/report.certificate": Rule(ANYONE),
        "GET /discussions/{period_id}": Rule(ANYONE),
        "GET /discussions/{period_id}/check": Rule(ANYONE),
        "POST /discussions/{period_id}/comments": Rule(Access.FORM),
        "GET /embed/drafts/{draft_id}": Rule(ANYONE),
        "GET /my/comments": Rule(Access.PAGE_SIGNED_IN),
        "POST /my/comments/{comment_id}/rating": Rule(Access.FORM),
        # The queue lists only comments the caller may moderate.
        "GET /moderation": Rule(Access.PAGE_SIGNED_IN),
        "POST /moderation/{comment_id}": Rule(Access.FORM),
        "POST /responses/{comment_id}": Rule(Access.FORM),
        "GET /manage": Rule(Access.PAGE_SIGNED_IN),
        "GET /manage/drafts/new": Rule(Access.PAGE_SIGNED_IN),
        "POST /manage/drafts/new": Rule(Access.FORM),
        "GET /manage/drafts/{draft_id}": Rule(Access.PAGE_OWNER),
        "POST /manage/drafts/{draft_id}/periods": Rule(Access.FORM),
        "GET /manage/periods/{period_id}": Rule(Access.PAGE_OWNER),
        "POST /manage/periods/{period_id}/announce": Rule(Access.FORM),
        # Extending a comment period and publishing its report from its page.
        "POST /manage/periods/{period_id}/extensions": Rule(Access.FORM),
        "POST /manage/periods/{period_id}/report": Rule(Access.FORM),
    },
}


def _at(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).isoformat()


_PB = (
    "META\nkey;value\ndescription;Park\ncountry;Russia\nunit;Kazan\ninstance;1\n"
    "num_projects;2\nnum_votes;0\nbudget;500\nvote_type;approval\nrule;greedy\n"
    "PROJECTS\nproject_id;cost;name\na;300;A\nb;200;B\nVOTES\nvoter_id;vote\n"
)


def _pb_import() -> dict[str, Any]:
    return {
        "organisation": OWNER,
        "pb": _PB,
        "opens_at": _at(hours=1),
        "closes_at": _at(hours=2),
    }


def _draft() -> dict[str, Any]:
    return {
        "organisation": OWNER,
        "title": "Проект",
        "kind": "постановление",
        "markdown": "# 1. Текст",
    }


def _period(*, eligibility: bool = True) -> dict[str, Any]:
    body: dict[str, Any] = {"starts_at": _at(hours=1), "ends_at": _at(hours=48)}
    return {**body, "eligibility": {"min_age": 14}} if eligibility else body


def _docx_import() -> dict[str, Any]:
    return {
        "data": {"organisation": OWNER, "title": "Проект", "kind": "постановление"},
        "files": {"file": ("draft.docx", docx([(1, "1. Текст"), (0, "Абзац")]))},
    }


def _attachment() -> dict[str, Any]:
    return {"files": {"file": ("draft.docx", docx([(1, "1. Текст")]))}}


EXTRA_PATH_VALUES = {
    "file_path": "site.css",
    "path": "nothing-here",
    "attachment_id": "00000000-0000-4000-8000-000000000000",
}
"""Path parameters that name no object of the suite."""


def route_table(app: Litestar) -> Iterator[tuple[str, HTTPRoute]]:
    """``"METHOD /path/{param}"`` for every HTTP route and method the app serves."""
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for method in sorted(route.route_handler_map):
            if method != "OPTIONS":
                yield f"{method} {route.path_format}", route


def _app(service: str, settings: Settings, options: DiscussionsSettings) -> Litestar:
    return create_polls(settings) if service == "polls" else create_discussions(settings, options)


@pytest.mark.parametrize("service", ["polls", "discussions"])
def test_every_route_has_a_policy(
    service: str, settings: Settings, options: DiscussionsSettings
) -> None:
    routes = {key for key, _ in route_table(_app(service, settings, options))}
    missing = sorted(routes - POLICY[service].keys())
    assert not missing, f"routes without an access policy in POLICY[{service!r}]: {missing}"
    stale = sorted(POLICY[service].keys() - routes)
    assert not stale, f"POLICY[{service!r}] names routes that no longer exist: {stale}"


def _verdict(answer: Answer, status: int, content_type: str, location: str) -> bool:
    is_problem = content_type.startswith(PROBLEM)
    match answer:
        case Answer.ALLOW:
            return status < 500 and status not in (401, 403)
        case Answer.UNAUTHENTICATED:
            return status == 401 and is_problem
        case Answer.REFUSED:
            return status in (401, 403, 404) and is_problem
        case Answer.SIGN_IN:
            return status == 303 and location.startswith("/auth/login")


@pytest.mark.parametrize("service", ["polls", "discussions"])
def test_every_route_answers_each_caller_as_its_policy_says(
    service: str, settings: Settings, options: DiscussionsSettings
) -> None:
    app = _app(service, settings, options)
    people = People(settings.security.keys_dir)
    wrong: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as client:
        known = (polls_objects if service == "polls" else discussions_objects)(client, people)
        values = {**EXTRA_PATH_VALUES, **known}
        for key, route in route_table(app):
            rule = POLICY[service].get(key)
            if rule is None:
                continue  # test_every_route_has_a_policy reports it
            method = key.split(" ", 1)[0]
            path = route.path_format.format(**{p: values[p] for p in route.path_parameters})
            for caller, answer in zip(CALLERS, EXPECTED[rule.access], strict=True):
                response = client.request(
                    method,
                    path,
                    headers=people.headers(caller),
                    json=None if rule.body is None else rule.body(),
                    follow_redirects=False,
                    **(rule.files() if rule.files is not None else {}),
                )
                content_type = response.headers.get("content-type", "")
                if not _verdict(
                    answer, response.status_code, content_type, response.headers.get("location", "")
                ):
                    wrong.append(
                        f"{key} as {caller.value}: got {response.status_code} {content_type}, "
                        f"wanted {answer.value} ({rule.access.value})"
                    )
    assert not wrong, "\n".join(wrong)
