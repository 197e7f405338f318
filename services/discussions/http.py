"""HTTP pieces every feature's controllers share: permissions, paging."""

from __future__ import annotations

from typing import Annotated

from litestar.params import QueryParameter

from services.discussions.pagination import DEFAULT_LIMIT, MAX_LIMIT
from shared.identity.claims import Session

__all__ = (
    "CursorQuery",
    "LimitQuery",
    "allowed",
    "territory_of",
)

CursorQuery = Annotated[
    str | None, QueryParameter(max_length=200, description="`next` of the previous page.")
]
LimitQuery = Annotated[int, QueryParameter(ge=1, le=MAX_LIMIT)]
DEFAULT_PAGE = DEFAULT_LIMIT


def allowed(session: Session, permission: str) -> tuple[str, ...]:
    """Organisations for which the caller holds ``permission``."""
    return session.organisations_with(permission)


def territory_of(session: Session, organisation: str) -> tuple[str, ...]:
    for grant in session.orgs:
        if grant.org == organisation:
            return grant.territory
    return ()
