"""What every polls controller shares: the wire base struct, pagination, and the mapping of
domain refusals to RFC 9457 problems."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException

from services.polls.errors import PollsError
from shared.web.problems import ProblemError, exception_handlers

__all__ = ("MAX_PAGE", "Input", "Limit", "Offset", "Output", "polls_exception_handlers")

MAX_PAGE = 100
Offset = Annotated[int, msgspec.Meta(ge=0)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE)]


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are a 400, not silently ignored."""


class Output(msgspec.Struct, kw_only=True):
    """Base of every response body."""


def _polls_error(request: Request[Any, Any, Any], exc: PollsError) -> Response[Any]:
    problem = ProblemError(
        exc.status, exc.slug, exc.title, exc.detail, extra=exc.extra, headers=exc.headers
    )
    handler = exception_handlers[HTTPException]
    response: Response[Any] = handler(request, problem)
    return response


polls_exception_handlers: dict[type[Exception] | int, Any] = {PollsError: _polls_error}
