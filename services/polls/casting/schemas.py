"""Wire formats of casting a ballot."""

from __future__ import annotations

import datetime as dt

from shared.tally.ballot import Answers
from shared.web.schemas import Input, Output

__all__ = ("CastRequest", "ReceiptView")


class CastRequest(Input, kw_only=True):
    answers: Answers
    """Question id → answer, shaped by the question's kind (see the poll's definition)."""


class ReceiptView(Output, kw_only=True):
    poll: str
    tracking_code: str
    """Short code to find the ballot on the board ("check my ballot")."""
    entry_hash: str
    """Hex leaf hash of the ballot entry."""
    accepted_at: dt.datetime
    receipt: str
    """The signed receipt (C2SP signed note), verifiable with /api/v1/keys alone."""
    check: str
    """Where to check that the ballot is in the log."""
