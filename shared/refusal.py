"""What a domain raises when it refuses a request: one base for every service.

Domain code never imports a web framework, so it raises these plain exceptions carrying what
RFC 9457 needs (status, a stable slug for the ``type`` URI, a title, what to do, extension
members); :mod:`shared.web.problems` answers each with problem+json (a page for a browser),
with one handler for every service.
"""

from __future__ import annotations

from typing import Any

__all__ = ("RefusalError",)


class RefusalError(Exception):
    """A request the rules refuse. ``status`` is the HTTP status it answers with; subclasses
    may fix it per kind of refusal, or a caller may give it."""

    status: int = 400

    def __init__(
        self,
        slug: str,
        title: str,
        detail: str = "",
        *,
        status: int | None = None,
        extra: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{slug}: {detail or title}")
        if status is not None:
            self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail or title
        self.extra = extra or {}
        self.headers = headers or {}
