"""Every route an anonymous caller may GET has a bound on the work one request can cause.

The route tables of the real ``create_app`` of both services are enumerated (as the
authorisation matrix does). Each GET or HEAD route is either in ``SIGNED_IN`` (an anonymous
request is refused before it reads anything; checked by calling it) or in ``BOUNDED`` with how
its work is bounded: a page size, a range, one object by key, a stored document, a cache.
A new GET route in neither table fails the suite, and so does a query parameter of an
anonymous route that is unbounded itself (an integer without a maximum, a string without a
maximum length or anchored pattern, a list without a maximum count).
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from litestar import Litestar, get
from litestar._kwargs import KwargsModel
from litestar.handlers import HTTPRouteHandler
from litestar.params import QueryParameter
from litestar.routes import HTTPRoute
from litestar.testing import TestClient

from services.discussions.app import create_app as create_discussions
from services.discussions.comment_periods.domain import MAX_EXTENSIONS
from services.discussions.drafts.domain import MAX_VERSIONS
from services.discussions.settings import DiscussionsSettings
from services.polls.app import create_app as create_polls
from services.polls.pages.citizen import PUBLIC_LIST_LIMIT
from services.polls.results.domain import EXPORTS_KEPT
from shared.config import Settings

_ONE = "one object by its key"
_STATIC = "no database: static text, keys or a file of the image"
_PROOF = "two indexed checkpoint reads and O(log n) tree nodes (bench.checkpoints)"

_COMMON: dict[str, str] = {
    "GET /health/live": "no database",
    "GET /health/ready": "one ping of each dependency",
    "GET /metrics": "no database: this process's counters",
    "GET /auth/login": "no database: a redirect (next_path ≤ 2,000 characters)",
    "GET /auth/callback": "one sign-in: code ≤ 2,000, state ≤ 200 characters, rate-limited",
    "GET /auth/dev": "one sign-in of a fixture person (development only), rate-limited",
    "GET /schema": _STATIC,
    "GET /schema/scalar": _STATIC,
    "GET /schema/openapi.json": _STATIC,
    "GET /schema/openapi.yaml": _STATIC,
    "GET /schema/openapi.yml": _STATIC,
    "GET /schema/{path}": _STATIC,
    "GET /static/ui/{file_path}": _STATIC,
    "HEAD /static/ui/{file_path}": _STATIC,
    "GET /api/v1/keys": _STATIC,
    "GET /api/v1/logs/{log_id}/checkpoint": _PROOF,
    "GET /api/v1/logs/{log_id}/inclusion": _PROOF,
    "GET /api/v1/logs/{log_id}/tracking/{code}": "an indexed hash-range read, then " + _PROOF,
    "GET /api/v1/logs/{log_id}/consistency": "O(log n) tree nodes (sizes ≤ 2^62)",
    "GET /api/v1/territory/municipalities": "≤ 200 codes, or a name part ≤ 100 characters "
    "and ≤ 100 rows",
}

BOUNDED: dict[str, dict[str, str]] = {
    "polls": {
        **_COMMON,
        "GET /api/v1/polls/{poll_id}": _ONE,
        "GET /api/v1/polls/{poll_id}/export.pb": f"tallied polls only, built once per process "
        f"(the {EXPORTS_KEPT} latest asked for are kept)",
        "GET /api/v1/polls/{poll_id}/results": "a tallied poll's stored results, or a live "
        "count at most once per poll every 2 s per process",
        "GET /api/v1/polls/{poll_id}/results.csv": "as the results",
        "GET /": f"at most {PUBLIC_LIST_LIMIT} tallied polls",
        "GET /audit": f"at most {PUBLIC_LIST_LIMIT} polls, one indexed checkpoint read each",
        "GET /polls/{poll_id}": _ONE,
        "GET /polls/{poll_id}/check": "a tracking code ≤ 40 characters: as /tracking",
        "GET /polls/{poll_id}/receipt": _ONE + " (the receipt is the caller's cookie)",
        "GET /polls/{poll_id}/receipt.txt": _ONE + " (the receipt is the caller's cookie)",
        "GET /polls/{poll_id}/results": "as the results",
        "GET /embed/polls/{poll_id}": _ONE + " and its results",
        "GET /notifications/unread": "the signed out: no database; a person: one indexed count",
        "GET /auth/widget-done": "no database for the anonymous: a redirect to sign-in "
        "(service ≤ 20, nonce ≤ 64 characters)",
    },
    "discussions": {
        **_COMMON,
        "GET /api/v1/logs/{log_id}/entries": "a page of ≤ 1,000 entries",
        "GET /api/v1/logs/{log_id}/board": "one log, streamed in chunks; the only read of a "
        "log's whole checkpoint history, thinned to one a minute",
        "GET /api/v1/drafts": "a page of ≤ 200",
        "GET /api/v1/drafts/{draft_id}": _ONE + " (one version)",
        "GET /api/v1/drafts/{draft_id}/attachments/{attachment_id}": _ONE
        + " (uploads are size-limited)",
        "GET /api/v1/drafts/{draft_id}/versions": f"one draft's ≤ {MAX_VERSIONS} versions, "
        "two grouped counts",
        "GET /api/v1/periods": "a page of ≤ 200",
        "GET /api/v1/periods/{period_id}": _ONE,
        "GET /api/v1/periods/{period_id}/extensions": f"≤ {MAX_EXTENSIONS} extensions a period",
        "GET /api/v1/periods/{period_id}/comments": "a page of ≤ 200",
        "GET /api/v1/periods/{period_id}/comments.html": "a page of ≤ 200",
        "GET /api/v1/periods/{period_id}/search": "a query ≤ 200 characters, a page of ≤ 200",
        "GET /api/v1/periods/{period_id}/report.json": "one stored report",
        "GET /api/v1/periods/{period_id}/report.html": "one stored report",
        "GET /api/v1/periods/{period_id}/report.csv": "one stored report",
        "GET /api/v1/periods/{period_id}/report.certificate": "one stored certificate",
        "GET /": "at most 100 periods",
        "GET /audit": "at most 100 periods, one indexed checkpoint read each",
        "GET /discussions/{period_id}": f"one period, its ≤ {MAX_EXTENSIONS} extensions and a "
        "page of ≤ 200 comments, found by a query ≤ 200 characters and filters ≤ 64",
        "GET /discussions/{period_id}/check": "a tracking code ≤ 64 characters: as /tracking",
        "GET /embed/drafts/{draft_id}": _ONE + " and ≤ 10 of its periods",
    },
}

_SIGNED_IN_COMMON = {
    "GET /me",
    "GET /api/v1/territory/refused-codes",
    "GET /territory/refused",
    "GET /manage",
}
SIGNED_IN: dict[str, set[str]] = {
    "polls": {
        *_SIGNED_IN_COMMON,
        "GET /api/v1/polls",
        "GET /api/v1/polls/{poll_id}/analytics",
        "GET /api/v1/polls/{poll_id}/analytics.csv",
        "GET /api/v1/polls/{poll_id}/answers",
        "GET /api/v1/polls/{poll_id}/answers.csv",
        "GET /polls/{poll_id}/answers",
        # Boards and entries of polls may hold free-text answers: organisation and auditors.
        "GET /api/v1/logs/{log_id}/board",
        "GET /api/v1/logs/{log_id}/entries",
        "GET /manage/polls/new",
        "GET /manage/polls/{poll_id}",
        "GET /manage/polls/{poll_id}/edit",
        # The registry: admins (and, for the trail, auditors) only.
        "GET /api/v1/admin/organisations",
        "GET /api/v1/admin/organisations/{slug}",
        "GET /api/v1/admin/memberships",
        "GET /api/v1/admin/invitations",
        "GET /api/v1/admin/trail",
        "GET /admin",
        "GET /admin/organisations/{slug}",
        "GET /admin/trail",
        "GET /invitations/{token}",
        "GET /notifications",
        "GET /notifications/settings",
        "GET /notifications/confirm",
        "GET /api/v1/me/notifications",
    },
    "discussions": {
        *_SIGNED_IN_COMMON,
        "GET /api/v1/me/comments",
        "GET /api/v1/periods/{period_id}/moderation-queue",
        "GET /my/comments",
        "GET /moderation",
        "GET /manage/drafts/new",
        "GET /manage/drafts/{draft_id}",
        "GET /manage/periods/{period_id}",
    },
}
"""GET routes that refuse an anonymous caller (401, 403 or 303 to sign in) before any read."""
LOOKUP_FIRST = {
    ("polls", "GET /api/v1/logs/{log_id}/board"),
    ("polls", "GET /api/v1/logs/{log_id}/entries"),
}
"""Signed-in routes that look their object up by key first: 404 for one that does not exist."""

_BOUNDED_TYPES = (bool, enum.Enum, uuid.UUID, dt.datetime, dt.date)


def _app(service: str, settings: Settings, options: DiscussionsSettings) -> Litestar:
    return create_polls(settings) if service == "polls" else create_discussions(settings, options)


def _get_routes(app: Litestar) -> Iterator[tuple[str, HTTPRouteHandler, KwargsModel]]:
    """``"METHOD /path/{param}"``, handler and parameter model of every GET and HEAD route."""
    for route in app.routes:
        if isinstance(route, HTTPRoute):
            for method, (handler, kwargs) in sorted(route.route_handler_map.items()):
                if method in ("GET", "HEAD"):
                    yield f"{method} {route.path_format}", handler, kwargs


def _plain(annotation: Any) -> Any:
    """``X`` of ``X | None``, ``Optional[X]`` and ``Annotated[X, …]``."""
    while True:
        args = get_args(annotation)
        origin = get_origin(annotation)
        if origin in (Union, types.UnionType):
            rest = [a for a in args if a is not type(None)]
            if len(rest) != 1:
                return annotation
            annotation = rest[0]
        elif hasattr(annotation, "__metadata__"):
            annotation = args[0]
        else:
            return annotation


def _unbounded(handler: HTTPRouteHandler, kwargs: KwargsModel) -> list[str]:
    """Query parameters of the route that bound nothing themselves."""
    fields = handler.parsed_fn_signature.parameters
    found = []
    for expected in kwargs.expected_query_params:
        field = fields.get(expected.field_name)
        if field is None:  # a parameter of a dependency (e.g. the sign-in state): skip
            continue
        kwarg = field.kwarg_definition
        le = getattr(kwarg, "le", None)
        max_length = getattr(kwarg, "max_length", None)
        max_items = getattr(kwarg, "max_items", None)
        pattern = getattr(kwarg, "pattern", None) or ""
        kind = _plain(field.annotation)
        origin = get_origin(kind) or kind
        if isinstance(origin, type) and issubclass(origin, _BOUNDED_TYPES):
            continue
        if origin in (list, tuple, set, frozenset):
            ok = max_items is not None
        elif origin is int:
            ok = le is not None
        elif origin is str:
            anchored = pattern.endswith("$") and not any(c in pattern for c in "*+")
            ok = max_length is not None or anchored
        else:
            ok = False
        if not ok:
            found.append(f"{expected.field_name}: {kind!r}")
    return found


@pytest.mark.parametrize("service", ["polls", "discussions"])
def test_every_get_route_is_signed_in_only_or_has_a_bound(
    service: str, settings: Settings, options: DiscussionsSettings
) -> None:
    routes = {key for key, _, _ in _get_routes(_app(service, settings, options))}
    listed = BOUNDED[service].keys() | SIGNED_IN[service]
    assert not BOUNDED[service].keys() & SIGNED_IN[service]
    missing = sorted(routes - listed)
    assert not missing, (
        f"GET routes of {service} with no bound on the work an anonymous request causes: "
        f"{missing} (add each to BOUNDED with its bound, or to SIGNED_IN)"
    )
    stale = sorted(listed - routes)
    assert not stale, f"routes listed for {service} that no longer exist: {stale}"


@pytest.mark.parametrize("service", ["polls", "discussions"])
def test_query_parameters_of_anonymous_routes_are_bounded(
    service: str, settings: Settings, options: DiscussionsSettings
) -> None:
    unbounded = {
        key: found
        for key, handler, kwargs in _get_routes(_app(service, settings, options))
        if key in BOUNDED[service] and (found := _unbounded(handler, kwargs))
    }
    assert not unbounded, f"unbounded query parameters on anonymous routes: {unbounded}"


def test_the_check_finds_an_unbounded_parameter(
    settings: Settings, options: DiscussionsSettings
) -> None:
    @get("/probe")
    async def probe(
        limit: Annotated[int, QueryParameter(ge=1)] = 10,
        name: Annotated[str | None, QueryParameter(min_length=1)] = None,
        page: Annotated[int, QueryParameter(le=100)] = 1,
    ) -> str:
        return f"{limit}{name}{page}"

    app = Litestar([probe])
    [(_, handler, kwargs)] = [r for r in _get_routes(app) if r[0] == "GET /probe"]
    assert sorted(_unbounded(handler, kwargs)) == [
        "limit: <class 'int'>",
        "name: <class 'str'>",
    ]


@pytest.mark.parametrize("service", ["polls", "discussions"])
def test_signed_in_routes_refuse_the_anonymous_before_reading(
    service: str, settings: Settings, options: DiscussionsSettings
) -> None:
    app = _app(service, settings, options)
    with TestClient(app, base_url="http://testserver.local") as client:
        answers = {}
        for key in sorted(SIGNED_IN[service]):
            method, path = key.split(" ", 1)
            url = path.format(
                poll_id="p-none",
                period_id="none",
                draft_id=uuid.UUID(int=1),
                log_id="none",
                slug="none",
                token="none",
            )
            response = client.request(method, url, follow_redirects=False)
            location = response.headers.get("location", "")
            if (
                response.status_code in (401, 403)
                or (response.status_code == 303 and "/auth/login" in location)
                or (response.status_code == 404 and (service, key) in LOOKUP_FIRST)
            ):
                continue
            answers[key] = response.status_code
    assert not answers, f"routes listed as signed-in only that serve the anonymous: {answers}"
