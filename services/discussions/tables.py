"""Every Piccolo table of the discussions service, in one tuple for binding and migrations."""

from piccolo.table import Table

from services.discussions.comments.tables import Comment
from services.discussions.drafts.tables import Attachment, Draft, DraftVersion, Section
from services.discussions.outbox.tables import OutboxMessage
from services.discussions.periods.tables import Period, PeriodExtension
from services.discussions.responses.tables import ResponseCorrection
from shared.lease import make_lease_table
from shared.ledger.tables import make_ledger_tables

LEDGER = make_ledger_tables()
LEASE = make_lease_table()

TABLES: tuple[type[Table], ...] = (
    *LEDGER.all(),
    LEASE,
    Draft,
    DraftVersion,
    Section,
    Attachment,
    Period,
    PeriodExtension,
    Comment,
    ResponseCorrection,
    OutboxMessage,
)
