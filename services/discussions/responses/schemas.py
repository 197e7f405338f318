"""Wire formats of responses: the official's decision on a comment and its earlier texts."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

import msgspec

from shared.web.schemas import Input, Output

__all__ = ("Disposition", "EarlierResponseView", "ResponseIn")


class Disposition(StrEnum):
    ACCEPTED = "accepted"
    PARTIALLY_ACCEPTED = "partially_accepted"
    REJECTED = "rejected"
    NOTED = "noted"


class ResponseIn(Input):
    disposition: Disposition
    justification: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]


class EarlierResponseView(Output):
    """A response as it read before a correction replaced it."""

    disposition: str
    justification: str
    responded_at: dt.datetime
    corrected_at: dt.datetime
