"""Times in signed texts (receipts, certificates): UTC, RFC 3339 to the second, ``Z``.

One spelling, so a signature over the text never depends on how a time was formatted, and one
strict parser, so a text with any other spelling is refused rather than read differently.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

__all__ = ("format_utc_seconds", "parse_utc_seconds")

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z", re.ASCII)  # not other scripts' digits


def format_utc_seconds(at: datetime) -> str:
    """``at`` (timezone-aware) in UTC, e.g. ``2025-11-25T14:03:07Z``."""
    return at.astimezone(UTC).strftime(_FORMAT)


def parse_utc_seconds(text: str, what: str, error: type[Exception]) -> datetime:
    """The time ``text`` spells, or ``error`` naming ``what`` (e.g. "receipt time")."""
    if not _SHAPE.fullmatch(text):
        raise error(f"{what} {text!r} is not YYYY-MM-DDTHH:MM:SSZ")
    try:
        return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)
    except ValueError:
        raise error(f"{what} {text!r} is not a valid date and time") from None
