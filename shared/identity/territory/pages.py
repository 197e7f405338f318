"""The operators' page of refused registration address codes, served by both services' page
plugins: what sign-in could not resolve in the last days, and the state of the register."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, Response, get
from litestar.exceptions import PermissionDeniedException
from litestar.params import QueryParameter
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from shared.identity.territory.http import MAX_REFUSED_DAYS, may_see_refused_codes, refused_codes
from shared.identity.territory.store import TerritoryStore
from shared.web.ui.pages import current_session, page, sign_in_url

__all__ = ("REFUSED_CODES_PATH", "territory_pages")

REFUSED_CODES_PATH = "/territory/refused"
_CHOICES = (7, 14, 30, MAX_REFUSED_DAYS)


@get(REFUSED_CODES_PATH, include_in_schema=False)
async def refused_codes_page(
    request: Request[Any, Any, Any],
    days: Annotated[int, QueryParameter(ge=1, le=MAX_REFUSED_DAYS)] = 14,
) -> Response[Any]:
    session = current_session(request)
    if session is None:
        return Redirect(sign_in_url(request), status_code=303)
    if not may_see_refused_codes(session.roles):
        raise PermissionDeniedException(detail="this page is for the platform's operators")
    store: TerritoryStore = request.app.state.territory
    return page(
        request,
        "ui/territory_refused.html",
        listing=await refused_codes(store, days),
        days=days,
        choices=_CHOICES,
    )


def territory_pages() -> list[ControllerRouterHandler]:
    return [refused_codes_page]
