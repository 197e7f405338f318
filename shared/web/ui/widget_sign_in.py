"""The end of the widget's sign-in: a popup page that hands a short-lived token to the widget.

A widget lives in a frame under an organisation's site, where browsers blocking third-party
cookies never send it our session cookie. So it opens this page in a popup (a top-level
window of the sign-in component, where the cookie is first-party): a person not signed in
goes through the usual ``/auth/login`` first and comes back here. The page then posts a token
to ``window.opener`` with ``targetOrigin`` set to the origin of the platform's own service
whose widget asked (``service``), never to an origin the request names: the browser delivers
it only if the opener is still that service's page, so neither the host site nor a page that
opened this one itself can receive it. The widget keeps the token in memory and checks the
sender's origin, that the sender is the popup it opened, and the ``nonce`` it made.

The token is a citizen's only (:meth:`IdentityService.widget_token`) and as short-lived as
any session token; the page is never cached.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode, urlsplit

from litestar import Request, Response, get
from litestar.params import QueryParameter
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from shared.config import SIGN_IN_SERVICE
from shared.identity.controllers import OPENER_KEPT
from shared.identity.middleware import presented_credentials
from shared.identity.service import IdentityService
from shared.web.problems import ProblemError
from shared.web.ui.pages import page, ui_settings

__all__ = (
    "SIGN_IN_TEXTS",
    "WIDGET_DONE_PATH",
    "WIDGET_MESSAGE_TYPE",
    "origin_of",
    "widget_sign_in",
    "widget_sign_in_pages",
)

WIDGET_DONE_PATH = "/auth/widget-done"
WIDGET_MESSAGE_TYPE = "vmeste:widget-token"
"""The ``type`` of the message the page posts; the widget ignores every other message."""

_SERVICES = ("polls", "discussions")

SIGN_IN_TEXTS = {
    "waiting": "Finish signing in in the window that opened.",
    "blocked": "Your browser blocked the sign-in window. Allow pop-up windows for this site, "
    "or take part on Vmeste itself.",
    "general": "The request was refused. Check the page and try again.",
}
"""What every widget's script says about signing in (msgids of the page catalogues)."""
_NONCE = re.compile(r"\A[A-Za-z0-9_-]{16,64}\Z", re.ASCII)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a public URL: what ``postMessage`` and ``event.origin`` use."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _bad_request(detail: str) -> ProblemError:
    return ProblemError(400, "bad-widget-sign-in", "Widget sign-in not recognised", detail)


@get(WIDGET_DONE_PATH, include_in_schema=False)
async def widget_done(
    request: Request[Any, Any, Any],
    service: Annotated[str, QueryParameter(max_length=20)],
    nonce: Annotated[str, QueryParameter(max_length=64)],
) -> Response[Any]:
    if service not in _SERVICES:
        raise _bad_request("The widget must name one of the platform's services.")
    if not _NONCE.match(nonce):
        raise _bad_request("Start again from the widget's sign-in button.")
    settings = ui_settings(request)
    identity: IdentityService = request.app.state.identity
    token, from_cookie = presented_credentials(request.scope)
    session = await identity.session_of(token) if token and from_cookie else None
    query = urlencode({"service": service, "nonce": nonce})
    if session is None:
        # Relative to this page, so it stays under whatever path the service is published.
        back = f"{settings.url_of(settings.service)}{WIDGET_DONE_PATH}?{query}"
        return Redirect("login?" + urlencode({"next": back}), status_code=303, headers=OPENER_KEPT)
    handed, handed_session = identity.widget_token(session)
    message = {
        "type": WIDGET_MESSAGE_TYPE,
        "nonce": nonce,
        "token": handed,
        "expires_at": handed_session.expires_at.isoformat(),
    }
    return page(
        request,
        "ui/widget_done.html",
        headers={**OPENER_KEPT, "cache-control": "no-store"},
        handover={"message": message, "target_origin": origin_of(settings.url_of(service))},
    )


def widget_sign_in_pages() -> list[ControllerRouterHandler]:
    return [widget_done]


def widget_sign_in(request: Request[Any, Any, Any]) -> dict[str, Any]:
    """Where a widget's script signs a person in: the popup's address (this page of the
    sign-in component, for the service rendering the widget), the only origin whose message it
    accepts, and this service's sign-out. What it says meanwhile is :data:`SIGN_IN_TEXTS`,
    which the widget translates with its own texts."""
    settings = ui_settings(request)
    sign_in = settings.url_of(SIGN_IN_SERVICE)
    return {
        "service": settings.service,
        "sign_in_url": sign_in + WIDGET_DONE_PATH,
        "sign_in_origin": origin_of(sign_in),
        "message_type": WIDGET_MESSAGE_TYPE,
        "sign_out_url": settings.base_path + "/auth/logout",
    }
