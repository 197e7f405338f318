"""Wire formats of the report: what publishing it answers."""

from __future__ import annotations

from shared.web.schemas import Output

__all__ = ("PublishedOut",)


class PublishedOut(Output):
    report_sha256: str
    certificate: str
    """Signed note binding the report's SHA-256 to the period's final checkpoint."""
