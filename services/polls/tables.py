"""Every Piccolo table of the polls service, in one tuple for binding and migrations."""

from piccolo.table import Table

from services.polls.casting.tables import Participation, PooledBallot
from services.polls.polls.tables import Poll
from shared.lease import make_lease_table
from shared.ledger.tables import make_ledger_tables

__all__ = ("LEASE", "LEDGER", "TABLES")

LEDGER = make_ledger_tables()
LEASE = make_lease_table()

TABLES: tuple[type[Table], ...] = (*LEDGER.all(), LEASE, Poll, Participation, PooledBallot)
