"""Errors of page routes as pages: a person who follows a link to a missing poll or sends an
expired form sees a page in their language (what happened, what to do, the request id, a way
home) with the same status code, not the problem+json an API client gets.

A request is for a page when its Accept header names ``text/html`` at least as much as JSON and
its path is not the API's, the sign-in's or the operator's. Everything else keeps exactly the
problem+json the wrapped handler produced.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import structlog
from litestar import Request, Response

from shared.web.ui.pages import gettext, page
from shared.web.ui.refusals import problem_message

__all__ = (
    "ERROR_MESSAGES",
    "NON_PAGE_PREFIXES",
    "error_page",
    "html_errors",
    "wants_page",
    "with_html_errors",
)

_log = structlog.get_logger("vmeste.ui")
NON_PAGE_PREFIXES = ("/api/", "/auth/", "/health", "/metrics", "/schema", "/static/", "/.well")
ExceptionHandler = Callable[[Request[Any, Any, Any], Any], Response[Any]]

# What a person should do, by status, when the refusal has no more specific message.
_TITLES: dict[int, tuple[str, str]] = {
    400: ("The request could not be understood", "Go back, check the form and send it again."),
    401: ("Please sign in", "Sign in with Gosuslugi and open the page again."),
    403: ("Not allowed", "Your account does not have the permission for this."),
    404: ("Page not found", "Check the address, or start again from the start page."),
    405: ("The request could not be understood", "Go back, check the form and send it again."),
    409: ("This cannot be done now", "Reload the page: its state has changed."),
    413: ("The file is too large", "Send a smaller file."),
    422: ("The request could not be understood", "Go back, check the form and send it again."),
    429: ("Too many requests", "Wait a little and try again."),
    503: ("The service is temporarily unavailable", "Try again in a few seconds."),
}
_DEFAULT = ("Something went wrong", "Try again later; if it happens again, quote the request id.")
_FORM_EXPIRED = "Form expired"
ERROR_MESSAGES = frozenset(
    {_FORM_EXPIRED, *_DEFAULT, *(text for pair in _TITLES.values() for text in pair)}
)
"""Every msgid used from Python here (the catalogue test checks both catalogues hold them)."""


def _quality(accept: str, wanted: tuple[str, ...]) -> float:
    best = 0.0
    for part in accept.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        if media.lower() not in wanted:
            continue
        quality = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        best = max(best, quality)
    return best


def wants_page(request: Request[Any, Any, Any]) -> bool:
    """True for a browser asking for a page (not an API client, not an API path)."""
    path = request.url.path
    if path.startswith(NON_PAGE_PREFIXES):
        return False
    accept = request.headers.get("accept", "")
    html = _quality(accept, ("text/html", "application/xhtml+xml"))
    json = _quality(accept, ("application/json", "application/problem+json"))
    return html > 0 and html >= json


def _body(response: Response[Any]) -> Mapping[str, Any]:
    content = response.content
    return content if isinstance(content, Mapping) else {}


def error_page(
    request: Request[Any, Any, Any], status: int, body: Mapping[str, Any], headers: dict[str, str]
) -> Response[Any]:
    """The error page of a problem ``body``."""
    slug = str(body.get("type", "")).rsplit("/", 1)[-1]
    title, hint = _TITLES.get(status, _DEFAULT)
    detail = gettext(request, hint)
    if slug == "csrf-refused":
        title = _FORM_EXPIRED
    if status not in (404, 401) and slug not in ("", "http-error", "internal-error"):
        specific = problem_message(
            lambda message: gettext(request, message), slug, str(body.get("detail", "")), body
        )
        if specific != gettext(request, "The request was refused. Check the page and try again."):
            detail = specific
    kept = {k: v for k, v in headers.items() if k.lower() in ("retry-after", "allow")}
    return page(
        request,
        "ui/error.html",
        status_code=status,
        headers=kept,
        title=gettext(request, title),
        detail=detail,
        request_id=str(body.get("request_id", "")),
        status=status,
    )


def html_errors(handler: ExceptionHandler) -> ExceptionHandler:
    """``handler`` answering a page request with the error page instead of problem+json."""

    def handle(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
        response = handler(request, exc)
        if not wants_page(request) or "ui" not in request.app.state:
            return response
        try:
            return error_page(
                request, response.status_code or 500, _body(response), dict(response.headers)
            )
        except Exception:  # the problem+json is still a correct answer
            _log.exception("error page failed", path=request.url.path)
            return response

    return handle


def with_html_errors(
    handlers: Mapping[type[Exception] | int, ExceptionHandler],
) -> dict[type[Exception] | int, ExceptionHandler]:
    """Every handler of ``handlers`` wrapped by :func:`html_errors`."""
    return {kind: html_errors(handler) for kind, handler in handlers.items()}
