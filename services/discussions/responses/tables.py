"""Persistence of corrected responses: the earlier texts stay visible."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("ResponseCorrection",)


class ResponseCorrection(Table, tablename="response_correction"):
    """A response as it read before an official corrected it (the comment row holds the
    current one)."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    comment = UUID(index=True)
    disposition = Varchar(length=24)
    justification = Text()
    responded_at = Timestamptz(help_text="When this text was given.")
    corrected_at = Timestamptz(help_text="When the correction replaced it.")
