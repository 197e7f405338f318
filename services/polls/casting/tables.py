"""Persistence of participation: who took part in which poll, never what they answered."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Bytea, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("POOL_INDEX", "UNIQUE_PARTICIPATION", "Participation", "PooledBallot")

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
    hour = Timestamptz(
        null=True,
        default=None,
        help_text="Hour of acceptance, for turnout per hour; the ballot itself has no time.",
    )


POOL_INDEX = "CREATE INDEX IF NOT EXISTS ballot_pool_by_poll ON ballot_pool (poll_id)"


class PooledBallot(Table, tablename="ballot_pool"):
    """An accepted ballot waiting to be mixed into the poll's log (see casting.mixing).

    Nothing in the row says who cast it, when, or which log entry it will become: the ballot
    is sealed (padded to the poll's longest possible ballot) under a key derived from the
    service secret, which never sits in the database. The row is deleted in the transaction
    that moves its ballot into the log, so every accepted ballot is in exactly one place.
    """

    id = UUID(primary_key=True, default=uuid.uuid4, help_text="Random: reveals no order.")
    poll_id = Varchar(length=64)
    lookup = Bytea(help_text="Keyed hash of the tracking code, for 'check my ballot'.")
    sealed = Bytea(help_text="AES-GCM sealed, padded ballot entry; see casting.pooling.")
