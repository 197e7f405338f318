"""The polls domain's refusals, free of any web framework.

Each carries the problem type slug, a title and what to do; the HTTP layer turns them into
RFC 9457 problems with the given status (see :mod:`shared.refusal`).
"""

from __future__ import annotations

from typing import Any

from shared.refusal import RefusalError

__all__ = ("PollsError", "conflict", "forbidden", "invalid", "not_found")


class PollsError(RefusalError):
    """A request the polls domain refuses; ``status`` is the HTTP status it maps to."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str,
        *,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(slug, title, detail, status=status, extra=extra, headers=headers)


def not_found(what: str) -> PollsError:
    return PollsError(404, "not-found", "Not found", what)


def forbidden(detail: str) -> PollsError:
    return PollsError(403, "forbidden", "Not allowed", detail)


def conflict(slug: str, title: str, detail: str, **extra: Any) -> PollsError:
    return PollsError(409, slug, title, detail, extra=extra)


def invalid(issues: list[dict[str, str]], detail: str) -> PollsError:
    return PollsError(422, "invalid-poll", "Invalid poll", detail, extra={"errors": issues})
