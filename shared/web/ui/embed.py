"""The embeddable widget's framing rule: only the organisation's own sites may frame it.

Every other page says ``frame-ancestors 'none'`` (see :mod:`shared.web.headers`); a widget
response sets its own Content-Security-Policy, which the header hook keeps.
"""

from __future__ import annotations

from html import escape

import structlog

from shared.identity.origins import OriginError, parse_origin
from shared.identity.registry import recent_organisation

__all__ = ("embed_csp", "embed_headers", "embed_snippet")

_BASE = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; base-uri 'self'; form-action 'self'"
)


_log = structlog.get_logger("vmeste.ui")


def _valid(origins: tuple[str, ...]) -> list[str]:
    """The origins that parse, each as parsed. The registry refuses the others, but a row
    written before it did, or by hand, must not add a directive to the header."""
    valid = []
    for origin in origins:
        try:
            valid.append(parse_origin(origin))
        except OriginError:
            _log.warning("invalid embed origin left out of frame-ancestors", origin=repr(origin))
    return valid


def embed_csp(origins: tuple[str, ...]) -> str:
    ancestors = " ".join(_valid(origins)) or "'none'"
    return f"{_BASE}; frame-ancestors {ancestors}"


async def embed_headers(organisation: str) -> dict[str, str]:
    """Headers of a widget of ``organisation``: CSP naming its registered sites, as read at
    most a second ago (a site removed on another replica may frame the widget that long)."""
    record = await recent_organisation(organisation)
    origins = record.embed_origins if record is not None else ()
    return {"content-security-policy": embed_csp(origins)}


def embed_snippet(base_url: str, path: str, title: str) -> str:
    """The HTML an official pastes into their site."""
    src = escape(base_url.rstrip("/") + path, quote=True)
    return (
        f'<iframe src="{src}" title="{escape(title, quote=True)}" width="100%" height="420" '
        'style="border:0;max-width:40rem" loading="lazy"></iframe>'
    )
