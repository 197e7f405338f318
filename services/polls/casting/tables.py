"""Persistence of participation: who took part in which poll, never what they answered."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Bytea, Varchar
from piccolo.table import Table

__all__ = ("UNIQUE_PARTICIPATION", "Participation")

UNIQUE_PARTICIPATION = (
    "CREATE UNIQUE INDEX IF NOT EXISTS participation_once ON participation (poll_id, voter_tag)"
)
"""The authority on "one person, one ballot": Redis is only the fast path in front of it."""


class Participation(Table, tablename="participation"):
    """One voter took part in one poll. No link to the ballot, no timestamp.

    ``municipality`` and ``age_band`` are the only facts about the person, kept coarse for
    turnout analytics; the ballot row in the log carries none of them.
    """

    id = UUID(primary_key=True, default=uuid.uuid4, help_text="Random: reveals no order.")
    poll_id = Varchar(length=64)
    voter_tag = Varchar(length=64, help_text="HMAC(poll key, sub): a pseudonym per poll.")
    sealed = Bytea(help_text="AES-GCM sealed receipt details; see casting.sealing.")
    municipality = Varchar(length=11, help_text="OKTMO of the voter's registration address.")
    age_band = Varchar(length=8, help_text="Age band on the opening day, e.g. 25-34.")
