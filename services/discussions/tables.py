"""Every Piccolo table of the discussions service, in one tuple for binding and migrations."""

from piccolo.table import Table

from services.discussions.comment_periods.tables import CommentPeriod, CommentPeriodExtension
from services.discussions.comments.tables import Comment
from services.discussions.drafts.tables import Attachment, Draft, DraftVersion, Section
from services.discussions.outbox.tables import OutboxMessage
from services.discussions.responses.tables import ResponseCorrection
from shared.lease import make_lease_table
from shared.log.tables import make_log_tables

LOG_TABLES = make_log_tables()
LEASE = make_lease_table()

TABLES: tuple[type[Table], ...] = (
    *LOG_TABLES.all(),
    LEASE,
    Draft,
    DraftVersion,
    Section,
    Attachment,
    CommentPeriod,
    CommentPeriodExtension,
    Comment,
    ResponseCorrection,
    OutboxMessage,
)
