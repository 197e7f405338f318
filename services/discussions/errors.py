"""Errors the discussions domain raises; the HTTP layer turns them into problem+json.

The domain never imports Litestar, so it raises these plain exceptions carrying what RFC 9457
needs (status, stable slug, title, what to do); ``services.discussions.http`` maps them.
"""

from __future__ import annotations

from typing import Any

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


class DomainError(Exception):
    """A request the rules refuse; ``slug`` becomes the problem ``type``."""

    status = 400

    def __init__(
        self, slug: str, title: str, detail: str = "", *, extra: dict[str, Any] | None = None
    ) -> None:
        super().__init__(detail or title)
        self.slug = slug
        self.title = title
        self.detail = detail or title
        self.extra = extra or {}


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
