"""Keyset pagination shared by every list: an opaque cursor, a bounded page size."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from typing import Annotated, Generic, TypeVar

import msgspec

from services.discussions.errors import InvalidError

__all__ = (
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Cursor",
    "Limit",
    "Page",
    "decode_cursor",
    "encode_cursor",
)

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_LIMIT)]

T = TypeVar("T")


class Page(msgspec.Struct, Generic[T], kw_only=True):
    """One page of a list; pass ``next`` back as ``cursor`` for the following page."""

    items: list[T]
    next: str | None = None


class Cursor(msgspec.Struct, frozen=True, array_like=True):
    """Position after the last item shown: its sort time and id (ties broken by id)."""

    at: dt.datetime
    id: uuid.UUID


def encode_cursor(at: dt.datetime, item_id: uuid.UUID) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(Cursor(at, item_id))).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> Cursor | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=Cursor)
    except (ValueError, msgspec.DecodeError):
        raise InvalidError(
            "bad-cursor", "Invalid page cursor", "Pass back the `next` value of the previous page."
        ) from None
