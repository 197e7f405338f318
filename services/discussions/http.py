"""HTTP pieces every feature's controllers share: problem mapping, permissions, paging."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, Response
from litestar.params import QueryParameter

from services.discussions.errors import DomainError
from services.discussions.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.identity.session import Session
from shared.web.problems import ProblemError, exception_handlers

__all__ = (
    "CursorQuery",
    "DiscussionsController",
    "LimitQuery",
    "allowed",
    "territory_of",
)

CursorQuery = Annotated[
    str | None, QueryParameter(max_length=200, description="`next` of the previous page.")
]
LimitQuery = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
DEFAULT_PAGE = DEFAULT_LIMIT


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[Any]:
    problem = ProblemError(exc.status, exc.slug, exc.title, exc.detail, extra=exc.extra)
    handler = exception_handlers[ProblemError.__mro__[1]]
    return handler(request, problem)  # type: ignore[no-any-return]


class DiscussionsController(Controller):
    """Base of the service's controllers: domain errors become problem+json."""

    exception_handlers = {DomainError: _domain_error}  # noqa: RUF012 - read by Litestar


def allowed(session: Session, permission: str) -> tuple[str, ...]:
    """Organisations for which the caller holds ``permission``."""
    return session.organisations_with(permission)


def territory_of(session: Session, organisation: str) -> tuple[str, ...]:
    for grant in session.orgs:
        if grant.org == organisation:
            return grant.territory
    return ()
