"""RFC 9457 problem details for every error a client can meet.

Every error leaves the services as ``application/problem+json`` with a stable ``type`` URI, a
human ``title``, the HTTP ``status``, a ``detail`` saying what to do, and the request id so an
operator can find the log line. Internal exceptions never leak their text.
"""

from __future__ import annotations

from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from shared.db.errors import dependency_down
from shared.metrics import DEPENDENCY_ERRORS, REFUSALS
from shared.refusal import RefusalError
from shared.web.headers import request_id

__all__ = (
    "PROBLEM_MEDIA_TYPE",
    "Problem",
    "ProblemError",
    "exception_handlers",
)

PROBLEM_MEDIA_TYPE = "application/problem+json"
_TYPE_BASE = "https://vmeste.example/problems/"
_log = structlog.get_logger("vmeste.problems")


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """The RFC 9457 body; extension members go in ``extra`` and are flattened on output."""

    type: str
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    request_id: str = ""
    errors: list[dict[str, Any]] = msgspec.field(default_factory=list)


class ProblemError(HTTPException):
    """Raise from domain or HTTP code to answer with a specific problem type.

    ``slug`` becomes the stable ``type`` URI; ``extra`` members (e.g. ``tracking_code`` on an
    already-voted 409) are added to the body; ``headers`` such as Retry-After go on the response.
    """

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str = "",
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail=detail or title, status_code=status, headers=headers)
        self.slug = slug
        self.title = title
        self.problem_detail = detail
        self.members = extra or {}


_BY_STATUS: dict[int, tuple[str, str, str]] = {
    400: ("bad-request", "Bad request", "Fix the request and send it again."),
    401: (
        "unauthenticated",
        "Sign-in required",
        "Sign in again: the session is missing, expired or invalid.",
    ),
    403: ("forbidden", "Not allowed", "Your account does not have the permission for this."),
    404: ("not-found", "Not found", "Check the address: nothing exists here."),
    405: ("method-not-allowed", "Method not allowed", "Use one of the methods in Allow."),
    409: ("conflict", "Conflict", "The current state does not allow this request."),
    413: (
        "body-too-large",
        "Request body too large",
        "Send a smaller body: the limit is stated in the service documentation.",
    ),
    415: ("unsupported-media-type", "Unsupported media type", "Send application/json."),
    429: ("rate-limited", "Too many requests", "Wait for Retry-After seconds, then try again."),
    503: (
        "unavailable",
        "Service temporarily unavailable",
        "A dependency is down; retry after Retry-After seconds.",
    ),
}


def _request_id(request: Request[Any, Any, Any]) -> str:
    return request_id(request.scope)


def _service(request: Request[Any, Any, Any]) -> str:
    return str(request.app.state.get("service", "unknown"))


def _respond(
    request: Request[Any, Any, Any],
    problem: Problem,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    REFUSALS.labels(_service(request), problem.type.rsplit("/", 1)[-1], str(problem.status)).inc()
    problem.request_id = _request_id(request)
    problem.instance = request.url.path
    body: dict[str, Any] = msgspec.to_builtins(problem)
    # Extension members never replace the standard ones: ``status`` stays the HTTP status.
    for name, value in (extra or {}).items():
        body.setdefault(name, value)
    return Response(
        content=body,
        status_code=problem.status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def _is_malformed_body(exc: BaseException) -> bool:
    """True when msgspec could not parse the body at all (as opposed to a schema mismatch)."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, msgspec.DecodeError) and not isinstance(
            cause, msgspec.ValidationError
        ):
            return True
        cause = cause.__cause__
    return False


def _classify_400(exc: HTTPException) -> tuple[str, str, str]:
    """Tell malformed JSON, unknown fields and other validation failures apart."""
    if _is_malformed_body(exc):
        return ("malformed-json", "Malformed JSON", "Send a syntactically valid JSON document.")
    if "unknown field" in f"{exc.detail} {exc.extra}".lower():
        return (
            "unknown-field",
            "Unknown field",
            "Remove the fields the API does not define; see /schema.",
        )
    return ("invalid-request", "Invalid request", "Correct the listed fields and send again.")


def _errors(exc: HTTPException) -> list[dict[str, Any]]:
    extra = exc.extra
    if isinstance(extra, list):
        return [e if isinstance(e, dict) else {"message": str(e)} for e in extra]
    if isinstance(extra, dict):
        return [extra]
    return []


def _http_exception(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    if isinstance(exc, ProblemError):
        problem = Problem(
            type=_TYPE_BASE + exc.slug,
            title=exc.title,
            status=exc.status_code,
            detail=exc.problem_detail,
        )
        return _respond(request, problem, exc.members, exc.headers)
    status = exc.status_code
    if status == 400 or isinstance(exc, ValidationException):
        slug, title, hint = _classify_400(exc)
        problem = Problem(
            type=_TYPE_BASE + slug,
            title=title,
            status=400,
            detail=f"{hint} ({exc.detail})",
            errors=_errors(exc),
        )
        return _respond(request, problem, headers=exc.headers)
    slug, title, hint = _BY_STATUS.get(
        status, ("http-error", "Request failed", "See the status code.")
    )
    detail = hint
    if isinstance(exc, NotAuthorizedException | PermissionDeniedException) and exc.detail not in (
        "",
        "Unauthorized",
        "Forbidden",
    ):
        detail = f"{exc.detail}. {hint}"
    if isinstance(exc, NotFoundException) and exc.detail not in ("", "Not Found"):
        detail = f"{exc.detail}. {hint}"
    problem = Problem(type=_TYPE_BASE + slug, title=title, status=status, detail=detail)
    return _respond(request, problem, headers=exc.headers)


_UNAVAILABLE_RETRY_S = 5


def _too_deep(exc: BaseException) -> bool:
    """msgspec refuses JSON nested beyond the interpreter's recursion limit with a
    RecursionError rather than a DecodeError: that is bad input, not a crash."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, RecursionError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


_UNSTORABLE_TEXT = frozenset({"CharacterNotInRepertoireError", "UntranslatableCharacterError"})
"""asyncpg's errors for text PostgreSQL cannot hold (a NUL character above all): the statement
failed and its transaction with it, so nothing was stored, and the sender can fix the text."""


def _unstorable_text(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        kind = type(seen)
        if kind.__module__.startswith("asyncpg") and kind.__name__ in _UNSTORABLE_TEXT:
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if _unstorable_text(exc):
        problem = Problem(
            type=_TYPE_BASE + "text-not-storable",
            title="Text cannot be stored",
            status=400,
            detail="The text contains a NUL character (or another one that cannot be stored); "
            "remove it and send again. Nothing was accepted.",
        )
        return _respond(request, problem)
    if _too_deep(exc):
        problem = Problem(
            type=_TYPE_BASE + "json-too-deep",
            title="JSON nested too deeply",
            status=400,
            detail="Send a document with far fewer nested arrays and objects.",
        )
        return _respond(request, problem)
    if dependency_down(exc):
        DEPENDENCY_ERRORS.labels(_service(request), "database").inc()
        _log.warning(
            "dependency unavailable",
            path=request.url.path,
            request_id=_request_id(request),
            error=type(exc).__name__,
        )
        problem = Problem(
            type=_TYPE_BASE + "unavailable",
            title="Service temporarily unavailable",
            status=503,
            detail="A database is unreachable or full; nothing of this request was accepted. "
            f"Retry in {_UNAVAILABLE_RETRY_S} seconds.",
        )
        return _respond(request, problem, headers={"Retry-After": str(_UNAVAILABLE_RETRY_S)})
    _log.exception("unhandled error", path=request.url.path, request_id=_request_id(request))
    problem = Problem(
        type=_TYPE_BASE + "internal-error",
        title="Internal error",
        status=HTTP_500_INTERNAL_SERVER_ERROR,
        detail="Something failed on our side; nothing you sent was accepted unless you hold "
        "a receipt. Try again later and quote the request id if you contact support.",
    )
    return _respond(request, problem)


def _refusal(request: Request[Any, Any, Any], exc: RefusalError) -> Response[Any]:
    """A domain's refusal: its own problem type, title, detail and members."""
    problem = ProblemError(
        exc.status, exc.slug, exc.title, exc.detail, extra=exc.extra, headers=exc.headers
    )
    return _http_exception(request, problem)


exception_handlers: dict[type[Exception] | int, Any] = {
    RefusalError: _refusal,
    HTTPException: _http_exception,
    Exception: _unexpected,
}
