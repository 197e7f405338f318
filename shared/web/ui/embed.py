"""The embeddable widget's framing rule: only the organisation's own sites may frame it.

Every other page says ``frame-ancestors 'none'`` (see :mod:`shared.web.headers`); a widget
response sets its own Content-Security-Policy, which the header hook keeps.
"""

from __future__ import annotations

from html import escape

from shared.identity.registry import get_organisation

__all__ = ("embed_csp", "embed_headers", "embed_snippet")

_BASE = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; base-uri 'self'; form-action 'self'"
)


def embed_csp(origins: tuple[str, ...]) -> str:
    ancestors = " ".join(origins) if origins else "'none'"
    return f"{_BASE}; frame-ancestors {ancestors}"


async def embed_headers(organisation: str) -> dict[str, str]:
    """Headers of a widget of ``organisation``: CSP naming its registered sites."""
    record = await get_organisation(organisation)
    origins = record.embed_origins if record is not None else ()
    return {"content-security-policy": embed_csp(origins)}


def embed_snippet(base_url: str, path: str, title: str) -> str:
    """The HTML an official pastes into their site."""
    src = escape(base_url.rstrip("/") + path, quote=True)
    return (
        f'<iframe src="{src}" title="{escape(title, quote=True)}" width="100%" height="420" '
        'style="border:0;max-width:40rem" loading="lazy"></iframe>'
    )
