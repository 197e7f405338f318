"""Every Piccolo table of the polls service, in one tuple for binding and migrations."""

from piccolo.table import Table

from services.polls.casting.tables import Participation, PooledBallot
from services.polls.notifications.tables import Notification, NotificationPreferences
from services.polls.polls.tables import Poll
from shared.lease import make_lease_table
from shared.log.tables import make_log_tables
from shared.outbox import make_outbox_table

__all__ = ("LEASE", "LOG_TABLES", "OUTBOX", "TABLES")

LOG_TABLES = make_log_tables()
LEASE = make_lease_table()
OUTBOX = make_outbox_table()

TABLES: tuple[type[Table], ...] = (
    *LOG_TABLES.all(),
    LEASE,
    OUTBOX,
    Poll,
    Participation,
    PooledBallot,
    NotificationPreferences,
    Notification,
)
