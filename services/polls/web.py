"""What every polls controller shares: the wire base struct, pagination, and the mapping of
domain refusals to RFC 9457 problems."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ("MAX_PAGE", "Input", "Limit", "Offset", "Output")

MAX_PAGE = 100
Offset = Annotated[int, msgspec.Meta(ge=0)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE)]


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are a 400, not silently ignored."""


class Output(msgspec.Struct, kw_only=True):
    """Base of every response body."""
