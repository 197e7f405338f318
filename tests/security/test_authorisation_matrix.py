"""Who may call what, generated from the route table of each service's real ``create_app``.

Every HTTP route (API, pages, sign-in, health, schema, static files) is called as each persona
of :class:`Persona`: the anonymous, citizens here and elsewhere, officials of another
organisation, an official of the owning organisation lacking the route's permission, an
auditor, an admin, and officials of the owning organisation by Bearer token and by session
cookie (with and without the session's CSRF token). The answer must be of the class the
POLICY table below declares for that route. A route missing from the table fails the suite:
whoever adds an endpoint decides who may call it.

The matrix can fail both ways. Everyone a route serves must succeed (a 2xx, or a page form's
303 onwards), on an object in the state the call needs: routes that consume state get a fresh
object for each successful call. Everyone else is refused (401 or 403; a page form may instead
send the caller back with ``refused`` in the address) on that same object, called before the
success that proves the object exists. Page forms and cookie-authenticated API writes carry
the session's CSRF token, so what refuses them is authorisation, not a missing token.
"""

from __future__ import annotations

import datetime as dt
import secrets
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
from shared.identity.csrf import CSRF_FIELD, CsrfTokens
from tests.integration.polls._support import GOOD_ANSWERS, survey_body
from tests.security._objects import (
    closing_period,
    closing_poll,
    comment_on,
    discussions_objects,
    draft_period,
    draft_poll,
    open_period,
    open_polls,
    polls_objects,
    published_comment,
    responded_comment,
)
from tests.security._people import OWNER, Caller, People, Persona
from tests.unit.discussions._files import docx

PROBLEM = "application/problem+json"
CALLERS = (
    Persona.ANONYMOUS,
    Persona.CITIZEN,
    Persona.CITIZEN_ELSEWHERE,
    Persona.OFFICIAL_ELSEWHERE,
    Persona.MODERATOR_ELSEWHERE,
    Persona.UNPERMITTED,
    Persona.AUDITOR,
    Persona.ADMIN,
    Persona.COOKIE_WITHOUT_CSRF,
    Persona.COOKIE,
    Persona.OFFICIAL,
)
_SAFE = frozenset({"GET", "HEAD"})
_PAGES = (
    "/admin",
    "/invitations/",
    "/manage",
    "/my/",
    "/moderation",
    "/responses/",
    "/territory/",
    "/polls/",
    "/discussions/",
    "/notifications",
)
"""Paths of pages: a page that needs a session sends the anonymous to sign in."""


class Answer(Enum):
    ALLOW = "not refused (< 500, neither 401 nor 403, nor a page's refusal)"
    SUCCEED = "success (2xx, or a page form's 303 onwards)"
    UNAUTHENTICATED = "401 problem+json"
    REFUSED = "401 or 403 problem+json, or a page form's 303 back with 'refused'"
    SIGN_IN = "303 to the sign-in page"


class Access(Enum):
    """Who a route serves."""

    PUBLIC = "anyone"
    SIGNED_IN = "any signed-in person"
    ELIGIBLE = "a person living in the owner's territory"
    OWNER = "an official of the owning organisation with the route's permission"
    OWNER_OR_AUDITOR = "the owning organisation's officials and auditors"
    OPERATOR = "auditors and admins (platform-wide, no organisation)"
    ADMIN = "admins only (they keep the registry of organisations and roles)"
    AUTHOR = "the author of the comment (the citizen)"
    REFRESH_COOKIE = "the holder of a refresh cookie (none of the callers)"
    SIGNED_MESSAGE = "a sender holding the notifications secret (none of the callers)"


_OWNERS = frozenset({Persona.COOKIE_WITHOUT_CSRF, Persona.COOKIE, Persona.OFFICIAL})
SERVED: dict[Access, frozenset[Persona]] = {
    Access.PUBLIC: frozenset(CALLERS),
    Access.SIGNED_IN: frozenset(CALLERS) - {Persona.ANONYMOUS},
    Access.ELIGIBLE: _OWNERS
    | {Persona.CITIZEN, Persona.UNPERMITTED, Persona.AUDITOR, Persona.ADMIN},
    Access.OWNER: _OWNERS,
    Access.OWNER_OR_AUDITOR: _OWNERS | {Persona.AUDITOR},
    Access.OPERATOR: frozenset({Persona.AUDITOR, Persona.ADMIN}),
    Access.ADMIN: frozenset({Persona.ADMIN}),
    Access.AUTHOR: frozenset({Persona.CITIZEN}),
    Access.REFRESH_COOKIE: frozenset(),
    Access.SIGNED_MESSAGE: frozenset(),
}


@dataclass
class World:
    """What a route's calls need: the client, the owner's headers for setting up, the shared
    objects, and polls or comment periods already on their way to closing."""

    client: TestClient[Litestar]
    people: People
    official: dict[str, str]
    shared: dict[str, str]
    closing: list[dict[str, str]]


Setup = Callable[[World, dict[Persona, Caller]], dict[str, str]]


@dataclass(frozen=True)
class Rule:
    access: Access
    body: Callable[[], Any] | None = None
    """JSON body: a valid one, so that whoever is served succeeds."""
    files: Callable[[], dict[str, Any]] | None = None
    """Multipart form fields and files, for the same reason."""
    form: Callable[[], dict[str, Any]] | None = None
    """A page form's fields (the session's CSRF token is added)."""
    permission: str | None = None
    """The permission the route needs: the one the UNPERMITTED official lacks."""
    setup: Setup | None = None
    """Fresh objects for the route (else the shared ones)."""
    per_call: bool = False
    """A successful call consumes the object's state: each one gets a fresh object."""
    hides: bool = False
    """A caller who may not see the object is told it does not exist (404)."""
    ends_session: bool = False
    """The call signs its caller out: every call is by a new person."""


ANYONE, SIGNED_IN, ELIGIBLE, OWNERS, OWNERS_OR_AUDITORS, OPERATORS, SIGNED_MESSAGE = (
    Access.PUBLIC,
    Access.SIGNED_IN,
    Access.ELIGIBLE,
    Access.OWNER,
    Access.OWNER_OR_AUDITOR,
    Access.OPERATOR,
    Access.SIGNED_MESSAGE,
)
ADMINS = Access.ADMIN
POLLS, DISCUSSIONS, MODERATE, RESPOND = "polls:manage", "discussions:manage", "moderate", "respond"


def _at(**delta: float) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).isoformat()


def _field(**delta: float) -> str:
    """A moment as a ``datetime-local`` field sends it (UTC, to the minute)."""
    return (dt.datetime.now(dt.UTC) + dt.timedelta(**delta)).strftime("%Y-%m-%dT%H:%M")


# --- objects in the state a route needs ---------------------------------------------------


def _draft_poll(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    return draft_poll(world.client, world.official)


def _open_poll(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    return open_polls(world.client, world.official, 1)[0]


def _closed_poll(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    """The suite's closed survey with a free-text question (shared: reading changes nothing)."""
    made = world.closing[0]
    url = f"/api/v1/polls/{made['poll_id']}"
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=15)
    while world.client.get(url, headers=world.official).json()["status"] in ("scheduled", "open"):
        assert dt.datetime.now(dt.UTC) < deadline, f"{url} did not close"
    return made


def _tallied_poll(world: World, callers: dict[Persona, Caller]) -> dict[str, str]:
    """The suite's closed survey once tallied (answers by group are counted at the tally)."""
    made = _closed_poll(world, callers)
    url = f"/api/v1/polls/{made['poll_id']}"
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=15)
    while world.client.get(url, headers=world.official).json()["status"] != "tallied":
        assert dt.datetime.now(dt.UTC) < deadline, f"{url} was not tallied"
    return made


def _draft_period(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    return draft_period(world.client, world.official)


def _open_period(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    return open_period(world.client, world.official)


def _closed_period(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    made = world.closing.pop()
    url = f"/api/v1/periods/{made['period_id']}"
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=15)
    while world.client.get(url).json()["status"] != "closed":
        assert dt.datetime.now(dt.UTC) < deadline, f"{url} did not close"
    return made


def _pending_comment(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    author = world.people.headers(Persona.CITIZEN)
    return {"comment_id": comment_on(world.client, world.shared["period_id"], author)}


def _published_comment(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    author = world.people.headers(Persona.CITIZEN)
    made = published_comment(world.client, world.official, world.shared["period_id"], author)
    return {"comment_id": made}


def _attached(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    made = draft_period(world.client, world.official)
    attached = world.client.post(
        f"/api/v1/drafts/{made['draft_id']}/attachments",
        files=_attachment()["files"],
        headers=world.official,
    )
    assert attached.status_code == 201, attached.text
    return {**made, "attachment_id": str(attached.json()["id"])}


def _answered_comment(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    author = world.people.headers(Persona.CITIZEN)
    made = responded_comment(world.client, world.official, world.shared["period_id"], author)
    return {"comment_id": made}


def _citizens_answered_comment(world: World, callers: dict[Persona, Caller]) -> dict[str, str]:
    author = callers[Persona.CITIZEN].headers()
    made = responded_comment(world.client, world.official, world.shared["period_id"], author)
    return {"comment_id": made}


def _organisation(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    admin = world.people.headers(Persona.ADMIN)
    made = world.client.post(
        "/api/v1/admin/organisations", json=_organisation_body(), headers=admin
    )
    assert made.status_code == 201, made.text
    return {"slug": made.json()["slug"]}


def _membership(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    admin = world.people.headers(Persona.ADMIN)
    made = world.client.post("/api/v1/admin/memberships", json=_grant_body(), headers=admin)
    assert made.status_code == 201, made.text
    return {"membership_id": str(made.json()["id"])}


def _invitation(world: World, _: dict[Persona, Caller]) -> dict[str, str]:
    admin = world.people.headers(Persona.ADMIN)
    made = world.client.post("/api/v1/admin/invitations", json={"role": "auditor"}, headers=admin)
    assert made.status_code == 201, made.text
    return {
        "token": made.json()["url"].rsplit("/", 1)[-1],
        "invitation_id": str(made.json()["invitation"]["id"]),
    }


# --- bodies and forms -------------------------------------------------------------------

_PB = (
    "META\nkey;value\ndescription;Park\ncountry;Russia\nunit;Kazan\ninstance;1\n"
    "num_projects;2\nnum_votes;0\nbudget;500\nvote_type;approval\nrule;greedy\n"
    "PROJECTS\nproject_id;cost;name\na;300;A\nb;200;B\nVOTES\nvoter_id;vote\n"
)


def _pb_import() -> dict[str, Any]:
    return {"organisation": OWNER, "pb": _PB, "opens_at": _at(hours=1), "closes_at": _at(hours=2)}


def _builder() -> dict[str, Any]:
    return {
        "organisation": OWNER,
        "title": "Сквер",
        "opens_at": _field(hours=1),
        "closes_at": _field(hours=48),
        "questions-0-kind": "scale",
        "questions-0-text": "Оценка",
    }


def _ballot() -> dict[str, Any]:
    return {f"q.{question}": answer for question, answer in GOOD_ANSWERS.items()}


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


_REASON = "Нужно больше времени для обсуждения"


def _organisation_body() -> dict[str, Any]:
    return {
        "slug": f"org-{secrets.token_hex(4)}",
        "name": "Администрация",
        "territory": ["92701000"],
        "embed_origins": ["https://kazan.example"],
    }


def _organisation_form() -> dict[str, Any]:
    body = _organisation_body()
    return {**body, "territory": "92701000", "embed_origins": "https://kazan.example"}


def _grant_body() -> dict[str, Any]:
    return {"sub": secrets.token_hex(32), "role": "auditor"}


_ADMIN: dict[str, Rule] = {
    # The registry of organisations and roles: admins change it, auditors read its trail.
    "GET /api/v1/admin/organisations": Rule(ADMINS),
    "POST /api/v1/admin/organisations": Rule(ADMINS, _organisation_body),
    "GET /api/v1/admin/organisations/{slug}": Rule(ADMINS, setup=_organisation),
    "PUT /api/v1/admin/organisations/{slug}": Rule(
        ADMINS, lambda: {"name": "Другое имя", "territory": ["92701000"]}, setup=_organisation
    ),
    "GET /api/v1/admin/memberships": Rule(ADMINS),
    "POST /api/v1/admin/memberships": Rule(ADMINS, _grant_body),
    "POST /api/v1/admin/memberships/{membership_id}/revoke": Rule(
        ADMINS, setup=_membership, per_call=True
    ),
    "GET /api/v1/admin/invitations": Rule(ADMINS),
    "POST /api/v1/admin/invitations": Rule(ADMINS, lambda: {"role": "auditor"}),
    "POST /api/v1/admin/invitations/{invitation_id}/withdraw": Rule(
        ADMINS, setup=_invitation, per_call=True
    ),
    # Whoever was given the link, signed in.
    "POST /api/v1/invitations/{token}/accept": Rule(SIGNED_IN, setup=_invitation, per_call=True),
    "GET /api/v1/admin/trail": Rule(OPERATORS),
    "GET /admin": Rule(ADMINS),
    "POST /admin/organisations": Rule(ADMINS, form=_organisation_form),
    "GET /admin/organisations/{slug}": Rule(ADMINS, setup=_organisation),
    "POST /admin/organisations/{slug}": Rule(
        ADMINS, form=lambda: {"name": "Другое имя", "territory": "92701000"}, setup=_organisation
    ),
    "POST /admin/memberships": Rule(ADMINS, form=_grant_body),
    "POST /admin/memberships/{membership_id}/revoke": Rule(
        ADMINS, form=dict, setup=_membership, per_call=True
    ),
    "POST /admin/invitations": Rule(ADMINS, form=lambda: {"role": "auditor", "hours": "24"}),
    "POST /admin/invitations/{invitation_id}/withdraw": Rule(
        ADMINS, form=dict, setup=_invitation, per_call=True
    ),
    "GET /admin/trail": Rule(OPERATORS),
    "GET /invitations/{token}": Rule(SIGNED_IN, setup=_invitation),
    "POST /invitations/{token}": Rule(SIGNED_IN, form=dict, setup=_invitation, per_call=True),
}

_COMMON: dict[str, Rule] = {
    "GET /health/live": Rule(ANYONE),
    "GET /health/ready": Rule(ANYONE),
    "GET /metrics": Rule(ANYONE),
    "GET /auth/login": Rule(ANYONE),
    "GET /auth/callback": Rule(ANYONE),
    "GET /auth/dev": Rule(ANYONE),
    "POST /auth/refresh": Rule(Access.REFRESH_COOKIE),
    "POST /auth/logout": Rule(ANYONE, ends_session=True),
    "POST /auth/logout/everywhere": Rule(SIGNED_IN, ends_session=True),
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
    "GET /api/v1/territory/refused-codes": Rule(OPERATORS),
    "GET /territory/refused": Rule(OPERATORS),
}
POLICY: dict[str, dict[str, Rule]] = {
    "polls": {
        **_COMMON,
        **_ADMIN,
        "GET /api/v1/polls": Rule(SIGNED_IN),
        "POST /api/v1/polls": Rule(
            OWNERS, lambda: survey_body(organisation=OWNER), permission=POLLS
        ),
        "POST /api/v1/polls/import": Rule(OWNERS, _pb_import, permission=POLLS),
        "GET /api/v1/polls/{poll_id}": Rule(ANYONE),
        # Management answers a poll the caller may not see (a draft; an open poll of a
        # territory they do not live in) as missing, as reading it does.
        "PATCH /api/v1/polls/{poll_id}": Rule(
            OWNERS, lambda: {"title": "Renamed"}, permission=POLLS, setup=_draft_poll, hides=True
        ),
        "POST /api/v1/polls/{poll_id}/schedule": Rule(
            OWNERS, permission=POLLS, setup=_draft_poll, per_call=True, hides=True
        ),
        "POST /api/v1/polls/{poll_id}/cancel": Rule(
            OWNERS,
            lambda: {"reason": "Not needed"},
            permission=POLLS,
            setup=_draft_poll,
            per_call=True,
            hides=True,
        ),
        "GET /api/v1/polls/{poll_id}/export.pb": Rule(ANYONE),
        "POST /api/v1/polls/{poll_id}/ballots": Rule(
            ELIGIBLE, lambda: {"answers": GOOD_ANSWERS}, setup=_open_poll, hides=True
        ),
        "GET /api/v1/polls/{poll_id}/analytics": Rule(
            OWNERS_OR_AUDITORS, permission=POLLS, hides=True
        ),
        "GET /api/v1/polls/{poll_id}/analytics.csv": Rule(
            OWNERS_OR_AUDITORS, permission=POLLS, hides=True
        ),
        # Counted at the tally.
        "GET /api/v1/polls/{poll_id}/answers": Rule(
            OWNERS_OR_AUDITORS, permission=POLLS, setup=_tallied_poll, hides=True
        ),
        "GET /api/v1/polls/{poll_id}/answers.csv": Rule(
            OWNERS_OR_AUDITORS, permission=POLLS, setup=_tallied_poll, hides=True
        ),
        "GET /polls/{poll_id}/answers": Rule(
            OWNERS_OR_AUDITORS, permission=POLLS, setup=_tallied_poll, hides=True
        ),
        "GET /api/v1/polls/{poll_id}/results": Rule(ANYONE),
        "GET /api/v1/polls/{poll_id}/results.csv": Rule(ANYONE),
        # A closed survey with a free-text question: its ballots are for the organisation and
        # auditors (and nobody's while it is open).
        "GET /api/v1/logs/{log_id}/board": Rule(
            OWNERS_OR_AUDITORS, permission=POLLS, setup=_closed_poll
        ),
        "GET /api/v1/logs/{log_id}/entries": Rule(
            OWNERS_OR_AUDITORS, permission=POLLS, setup=_closed_poll
        ),
        "GET /polls/{poll_id}": Rule(ANYONE),
        "POST /polls/{poll_id}/ballot": Rule(ELIGIBLE, form=_ballot, setup=_open_poll, hides=True),
        "GET /polls/{poll_id}/check": Rule(ANYONE),
        "GET /polls/{poll_id}/receipt": Rule(ANYONE),
        "GET /polls/{poll_id}/receipt.txt": Rule(ANYONE),
        "GET /polls/{poll_id}/results": Rule(ANYONE),
        "GET /embed/polls/{poll_id}": Rule(ANYONE),
        # The widget's sign-in popup: a redirect to sign-in, or the page handing the token.
        "GET /auth/widget-done": Rule(ANYONE),
        # The desk and the builder show only the caller's own organisations.
        "GET /manage": Rule(SIGNED_IN),
        "GET /manage/polls/new": Rule(SIGNED_IN),
        "GET /notifications": Rule(SIGNED_IN),
        "GET /notifications/settings": Rule(SIGNED_IN),
        "POST /notifications/settings": Rule(SIGNED_IN, form=lambda: {"in_app": "response"}),
        "POST /notifications/read": Rule(SIGNED_IN, form=dict),
        "GET /notifications/unread": Rule(ANYONE),
        # The token is checked against the caller's own pending address; the matrix calls
        # without one, which the page answers as a link that is not valid.
        "GET /notifications/confirm": Rule(ANYONE),
        "GET /api/v1/me/notifications": Rule(SIGNED_IN),
        "POST /api/v1/me/notifications/read": Rule(SIGNED_IN),
        # Discussions' events: only a valid Standard Webhooks signature is served.
        "POST /internal/notifications/events": Rule(SIGNED_MESSAGE),
        "POST /manage/polls/new": Rule(OWNERS, form=_builder, permission=POLLS),
        "GET /manage/polls/{poll_id}": Rule(OWNERS, permission=POLLS, hides=True),
        "GET /manage/polls/{poll_id}/edit": Rule(
            OWNERS, permission=POLLS, setup=_draft_poll, hides=True
        ),
        "POST /manage/polls/{poll_id}/edit": Rule(
            OWNERS, form=_builder, permission=POLLS, setup=_draft_poll, hides=True
        ),
        "POST /manage/polls/{poll_id}/schedule": Rule(
            OWNERS, form=dict, permission=POLLS, setup=_draft_poll, per_call=True, hides=True
        ),
        "POST /manage/polls/{poll_id}/cancel": Rule(
            OWNERS,
            form=lambda: {"reason": "Не нужен"},
            permission=POLLS,
            setup=_draft_poll,
            per_call=True,
            hides=True,
        ),
    },
    "discussions": {
        **_COMMON,
        "GET /api/v1/logs/{log_id}/board": Rule(ANYONE),
        "GET /api/v1/logs/{log_id}/entries": Rule(ANYONE),
        "GET /api/v1/drafts": Rule(ANYONE),
        "POST /api/v1/drafts": Rule(OWNERS, _draft, permission=DISCUSSIONS),
        "POST /api/v1/drafts/import-docx": Rule(OWNERS, files=_docx_import, permission=DISCUSSIONS),
        "GET /api/v1/drafts/{draft_id}": Rule(ANYONE),
        "POST /api/v1/drafts/{draft_id}/versions": Rule(
            OWNERS, lambda: {"markdown": "# 1. Text"}, permission=DISCUSSIONS, setup=_draft_period
        ),
        "POST /api/v1/drafts/{draft_id}/attachments": Rule(
            OWNERS, files=_attachment, permission=DISCUSSIONS, setup=_draft_period
        ),
        "GET /api/v1/drafts/{draft_id}/attachments/{attachment_id}": Rule(ANYONE),
        "DELETE /api/v1/drafts/{draft_id}/attachments/{attachment_id}": Rule(
            OWNERS, permission=DISCUSSIONS, setup=_attached, per_call=True
        ),
        "GET /api/v1/drafts/{draft_id}/versions": Rule(ANYONE),
        "POST /api/v1/drafts/{draft_id}/versions/import-docx": Rule(
            OWNERS,
            files=lambda: {"data": {"note": "Редакция 2"}, **_attachment()},
            permission=DISCUSSIONS,
            setup=_draft_period,
        ),
        "POST /api/v1/drafts/{draft_id}/periods": Rule(
            OWNERS, _period, permission=DISCUSSIONS, setup=_draft_period
        ),
        "GET /api/v1/periods": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}": Rule(ANYONE),
        "PUT /api/v1/periods/{period_id}/schedule": Rule(
            OWNERS,
            lambda: _period(eligibility=False),
            permission=DISCUSSIONS,
            setup=_draft_period,
        ),
        "POST /api/v1/periods/{period_id}/announce": Rule(
            OWNERS, permission=DISCUSSIONS, setup=_draft_period, per_call=True
        ),
        "GET /api/v1/periods/{period_id}/extensions": Rule(ANYONE),
        "POST /api/v1/periods/{period_id}/extensions": Rule(
            OWNERS,
            lambda: {"ends_at": _at(hours=48), "reason": _REASON},
            permission=DISCUSSIONS,
            setup=_open_period,
            per_call=True,
        ),
        "GET /api/v1/periods/{period_id}/comments": Rule(ANYONE),
        "POST /api/v1/periods/{period_id}/comments": Rule(
            ELIGIBLE, lambda: {"stance": "support", "text": "Поддерживаю."}
        ),
        "GET /api/v1/periods/{period_id}/comments.html": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}/search": Rule(ANYONE),
        "GET /api/v1/me/comments": Rule(SIGNED_IN),
        "POST /api/v1/comments/{comment_id}/rating": Rule(
            Access.AUTHOR, lambda: {"rating": 5}, setup=_citizens_answered_comment
        ),
        "GET /api/v1/periods/{period_id}/moderation-queue": Rule(OWNERS, permission=MODERATE),
        "POST /api/v1/comments/{comment_id}/moderation": Rule(
            OWNERS,
            lambda: {"decision": "publish"},
            permission=MODERATE,
            setup=_pending_comment,
            per_call=True,
        ),
        "POST /api/v1/comments/{comment_id}/response": Rule(
            OWNERS,
            lambda: {"disposition": "accepted", "justification": "Учтено."},
            permission=RESPOND,
            setup=_published_comment,
            per_call=True,
        ),
        "PUT /api/v1/comments/{comment_id}/response": Rule(
            OWNERS,
            lambda: {"disposition": "partially_accepted", "justification": "Исправлено."},
            permission=RESPOND,
            setup=_answered_comment,
            per_call=True,
        ),
        "POST /api/v1/periods/{period_id}/report": Rule(
            OWNERS, permission=DISCUSSIONS, setup=_closed_period, per_call=True
        ),
        "GET /api/v1/periods/{period_id}/report.json": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}/report.html": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}/report.csv": Rule(ANYONE),
        "GET /api/v1/periods/{period_id}/report.certificate": Rule(ANYONE),
        "GET /discussions/{period_id}": Rule(ANYONE),
        "GET /discussions/{period_id}/check": Rule(ANYONE),
        "POST /discussions/{period_id}/comments": Rule(
            ELIGIBLE, form=lambda: {"stance": "support", "text": "Поддерживаю."}
        ),
        "GET /embed/drafts/{draft_id}": Rule(ANYONE),
        "GET /my/comments": Rule(SIGNED_IN),
        "POST /my/comments/{comment_id}/rating": Rule(
            Access.AUTHOR, form=lambda: {"rating": "5"}, setup=_citizens_answered_comment
        ),
        # The queue lists only comments the caller may moderate.
        "GET /moderation": Rule(SIGNED_IN),
        "POST /moderation/{comment_id}": Rule(
            OWNERS,
            form=lambda: {"decision": "publish"},
            permission=MODERATE,
            setup=_pending_comment,
            per_call=True,
        ),
        "POST /responses/{comment_id}": Rule(
            OWNERS,
            form=lambda: {"disposition": "accepted", "justification": "Учтено."},
            permission=RESPOND,
            setup=_published_comment,
            per_call=True,
        ),
        "POST /responses/{comment_id}/correction": Rule(
            OWNERS,
            form=lambda: {"disposition": "partially_accepted", "justification": "Исправлено."},
            permission=RESPOND,
            setup=_answered_comment,
            per_call=True,
        ),
        "GET /manage": Rule(SIGNED_IN),
        "GET /manage/drafts/new": Rule(SIGNED_IN),
        "POST /manage/drafts/new": Rule(OWNERS, form=_draft, permission=DISCUSSIONS),
        "GET /manage/drafts/{draft_id}": Rule(OWNERS, permission=DISCUSSIONS),
        "POST /manage/drafts/{draft_id}/periods": Rule(
            OWNERS,
            form=lambda: {
                "starts_at": _field(hours=2),
                "ends_at": _field(hours=48),
                "min_age": "14",
            },
            permission=DISCUSSIONS,
            setup=_draft_period,
        ),
        "POST /manage/drafts/{draft_id}/versions": Rule(
            OWNERS,
            form=lambda: {"markdown": "# 1. Текст", "note": "Редакция 2"},
            permission=DISCUSSIONS,
            setup=_draft_period,
        ),
        "POST /manage/drafts/{draft_id}/attachments": Rule(
            OWNERS, form=dict, files=_attachment, permission=DISCUSSIONS, setup=_draft_period
        ),
        "POST /manage/drafts/{draft_id}/attachments/{attachment_id}/remove": Rule(
            OWNERS, form=dict, permission=DISCUSSIONS, setup=_attached, per_call=True
        ),
        "GET /manage/periods/{period_id}": Rule(OWNERS, permission=DISCUSSIONS),
        "POST /manage/periods/{period_id}/announce": Rule(
            OWNERS, form=dict, permission=DISCUSSIONS, setup=_draft_period, per_call=True
        ),
        "POST /manage/periods/{period_id}/schedule": Rule(
            OWNERS,
            form=lambda: {"starts_at": _field(hours=24), "ends_at": _field(hours=72)},
            permission=DISCUSSIONS,
            setup=_draft_period,
            per_call=True,
        ),
        # Extending a comment period and publishing its report from its page.
        "POST /manage/periods/{period_id}/extensions": Rule(
            OWNERS,
            form=lambda: {"ends_at": _field(hours=48), "reason": _REASON},
            permission=DISCUSSIONS,
            setup=_open_period,
            per_call=True,
        ),
        "POST /manage/periods/{period_id}/report": Rule(
            OWNERS, form=dict, permission=DISCUSSIONS, setup=_closed_period, per_call=True
        ),
    },
}
CLOSED_PERIODS_NEEDED = 4
"""Successful report publications: by cookie and by Bearer, from the API and the page."""

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


def expected(rule: Rule, key: str, persona: Persona) -> Answer:
    method, path = key.split(" ", 1)
    if rule.access in (Access.REFRESH_COOKIE, Access.SIGNED_MESSAGE):
        return Answer.UNAUTHENTICATED
    if persona is Persona.COOKIE_WITHOUT_CSRF and method not in _SAFE and rule.access is not ANYONE:
        # The cookie alone never changes anything: the API does not count it, pages and
        # signing out everywhere refuse the missing token.
        return Answer.UNAUTHENTICATED if path.startswith("/api/") else Answer.REFUSED
    if persona in SERVED[rule.access]:
        return Answer.ALLOW if rule.access is ANYONE else Answer.SUCCEED
    if persona is Persona.ANONYMOUS and rule.access is not OWNERS_OR_AUDITORS:
        return Answer.SIGN_IN if path.startswith(_PAGES) else Answer.UNAUTHENTICATED
    return Answer.REFUSED


def _verdict(answer: Answer, rule: Rule, status: int, content_type: str, location: str) -> bool:
    # A page refuses in HTML, everything else in problem+json.
    is_problem = content_type.startswith((PROBLEM, "text/html"))
    sign_in = status == 303 and location.startswith("/auth/login")
    sent_back = status == 303 and "refused" in location
    match answer:
        case Answer.ALLOW:
            # A public page may ask the anonymous to sign in to see what is not public yet.
            return status < 500 and status not in (401, 403) and not sent_back
        case Answer.SUCCEED:
            return 200 <= status < 300 or (status == 303 and not sign_in and not sent_back)
        case Answer.UNAUTHENTICATED:
            return status == 401 and is_problem
        case Answer.REFUSED:
            hidden = rule.hides and status == 404
            return ((status in (401, 403) or hidden) and is_problem) or sent_back
        case Answer.SIGN_IN:
            return sign_in


@dataclass
class Tally:
    cells: int = 0
    allowed: int = 0
    succeeded: int = 0
    refused: int = 0
    hidden: int = 0


def _callers(people: People, rule: Rule) -> dict[Persona, Caller]:
    without = () if rule.permission is None else (rule.permission,)
    made = {p: people.caller(p, without=without) for p in CALLERS}
    return {p: c for p, c in made.items() if c is not None}


def _call(
    client: TestClient[Litestar],
    csrf: CsrfTokens,
    rule: Rule,
    method: str,
    path: str,
    caller: Caller | None,
    persona: Persona,
) -> Any:
    token = None if caller is None else csrf.for_session(caller.sid)
    sends_token = persona is not Persona.COOKIE_WITHOUT_CSRF
    headers = {} if caller is None else caller.headers(token if sends_token else None)
    extra: dict[str, Any] = {}
    if rule.form is not None:
        form = rule.form()
        if token is not None and sends_token:
            form = {**form, CSRF_FIELD: token}
        extra["data"] = form
    if rule.files is not None:
        extra.update(rule.files())
    return client.request(
        method,
        path,
        headers=headers,
        json=None if rule.body is None else rule.body(),
        follow_redirects=False,
        **extra,
    )


@pytest.mark.parametrize("service", ["polls", "discussions"])
def test_every_route_answers_each_caller_as_its_policy_says(
    service: str,
    settings: Settings,
    options: DiscussionsSettings,
    report_figures: Callable[[str], None],
) -> None:
    app = _app(service, settings, options)
    people = People(settings.security.keys_dir)
    wrong: list[str] = []
    tally = Tally()
    routes = 0
    with TestClient(app, raise_server_exceptions=False) as client:
        official = people.headers(Persona.OFFICIAL)
        closing = (
            [closing_period(client, official, 3) for _ in range(CLOSED_PERIODS_NEEDED)]
            if service == "discussions"
            else [closing_poll(client, official, 3)]
        )
        shared = (polls_objects if service == "polls" else discussions_objects)(client, people)
        world = World(client, people, official, shared, closing)
        csrf: CsrfTokens = app.state.identity.csrf
        for key, route in route_table(app):
            rule = POLICY[service].get(key)
            if rule is None:
                continue  # test_every_route_has_a_policy reports it
            routes += 1
            method = key.split(" ", 1)[0]
            callers = _callers(people, rule)
            fresh = rule.setup(world, callers) if rule.setup is not None else {}
            values = {**EXTRA_PATH_VALUES, **shared, **fresh}
            consumed = False
            answers = {p: expected(rule, key, p) for p in CALLERS}
            # Refusals first, on the object a success then shows to exist.
            order = sorted(CALLERS, key=lambda p: answers[p] in (Answer.ALLOW, Answer.SUCCEED))
            for persona in order:
                answer = answers[persona]
                if answer is Answer.SUCCEED and rule.per_call and consumed:
                    assert rule.setup is not None
                    values = {**values, **rule.setup(world, callers)}
                if rule.ends_session:
                    callers = _callers(people, rule)
                path = route.path_format.format(**{p: values[p] for p in route.path_parameters})
                response = _call(client, csrf, rule, method, path, callers.get(persona), persona)
                status = response.status_code
                content_type = response.headers.get("content-type", "")
                location = response.headers.get("location", "")
                ok = _verdict(answer, rule, status, content_type, location)
                tally.cells += 1
                if answer in (Answer.ALLOW, Answer.SUCCEED):
                    tally.allowed += 1
                    tally.succeeded += answer is Answer.SUCCEED
                    consumed = consumed or (ok and answer is Answer.SUCCEED)
                else:
                    tally.refused += 1
                    tally.hidden += status == 404
                if not ok:
                    wrong.append(
                        f"{key} as {persona.value}: got {status} {content_type} {location} "
                        f"{response.text[:160]!r}, wanted {answer.value} ({rule.access.value})"
                    )
    report_figures(
        f"authorisation matrix, {service}: {routes} routes × {len(CALLERS)} personas = "
        f"{tally.cells} cells; {tally.allowed} allowed ({tally.succeeded} of them must succeed), "
        f"{tally.refused} refused ({tally.hidden} of those as 404 on objects the caller may not "
        f"see)"
    )
    assert not wrong, "\n".join(wrong)
