"""Errors the discussions domain raises; the HTTP layer turns them into problem+json.

The domain never imports Litestar, so it raises these plain exceptions carrying what RFC 9457
needs (status, stable slug, title, what to do); :mod:`shared.web.problems` answers them.
"""

from __future__ import annotations

from typing import Any

from shared.refusal import RefusalError

__all__ = (
    "ConflictError",
    "DomainError",
    "ForbiddenError",
    "InvalidError",
    "NotFoundError",
    "TooLargeError",
    "UnprocessableError",
    "UnsupportedError",
)


class DomainError(RefusalError):
    """A request the rules refuse; each subclass fixes the status."""

    def __init__(
        self, slug: str, title: str, detail: str = "", *, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(slug, title, detail, extra=extra)


class InvalidError(DomainError):
    status = 400


class ForbiddenError(DomainError):
    status = 403


class NotFoundError(DomainError):
    status = 404


class ConflictError(DomainError):
    status = 409


class GoneError(DomainError):
    """The object existed and was removed on purpose; its record stays."""

    status = 410


class TooLargeError(DomainError):
    status = 413


class UnprocessableError(DomainError):
    """Content of an accepted kind that cannot be used as it is (a damaged document)."""

    status = 422


class UnsupportedError(DomainError):
    status = 415
