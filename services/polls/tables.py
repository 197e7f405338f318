"""Every Piccolo table of the polls service, in one tuple for binding and migrations."""

from piccolo.table import Table

from services.polls.casting.tables import Participation, PooledBallot
from services.polls.notifications.tables import Notification, NotificationPreferences
from services.polls.polls.tables import Poll
from shared.lease import make_lease_table
from shared.ledger.tables import make_ledger_tables
from shared.outbox import make_outbox_table

__all__ = ("LEASE", "LEDGER", "OUTBOX", "TABLES")

LEDGER = make_ledger_tables()
LEASE = make_lease_table()
OUTBOX = make_outbox_table()

TABLES: tuple[type[Table], ...] = (
    *LEDGER.all(),
    LEASE,
    OUTBOX,
    Poll,
    Participation,
    PooledBallot,
    NotificationPreferences,
    Notification,
)
