"""The polls' ballot logs over HTTP: the shared log endpoints, told what each poll's board holds.

While a poll is open its entries and its board are served to nobody (409 ``poll-still-open``):
ballots enter the log in mixed batches, and publishing them before the close would still let
anyone who knows when a person voted narrow their ballot down to a batch and, over the vote,
read the running tally. Checkpoints, inclusion proofs for a named entry hash, consistency
proofs, tracking-code checks and keys stay public throughout. A cancelled poll's board is
published once its log is sealed (scheduler), its header stating the reason and final size.
After the close, ballot entries
carry free-text answers verbatim, so for a poll with a free-text question the entries and the
board are served only to the poll's organisation and to auditors.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from services.polls.errors import conflict
from services.polls.polls.domain import may_see_entries
from services.polls.polls.store import PollRecord, PollStore
from shared.identity.claims import Session
from shared.identity.guards import optional_session
from shared.log.board import BoardCancellation, BoardCertificate
from shared.log.http import LogDescription
from shared.log.service import LogService

__all__ = ("PollLogs", "entries_guard")

_ENTRY_HANDLERS = frozenset({"board", "entries"})
_NOT_PUBLISHED = frozenset({"scheduled", "open"})


class PollLogs:
    """What the log endpoints and the pages are told about a poll's log."""

    def __init__(self, logs: LogService, polls: PollStore) -> None:
        self.logs = logs
        self.polls = polls

    async def sealed_size(self, poll: PollRecord) -> int | None:
        """How many ballots a cancelled poll's sealed log holds (its final checkpoint); None
        for any other poll, and for a cancelled one that never opened or is still sealing."""
        if poll.status != "cancelled" or not await self.logs.closed(poll.id):
            return None
        return await self.logs.size(poll.id)

    async def describe(self, log_id: str) -> LogDescription | None:
        """The board's description of a poll's log; None for a draft or an unknown id."""
        poll = await self.polls.get(log_id)
        if poll is None or poll.status == "draft":
            return None
        certificate = None
        if poll.certificate is not None and poll.results is not None:
            certificate = BoardCertificate(poll.certificate, poll.results)
        size = await self.sealed_size(poll)
        cancellation = None
        if size is not None:
            cancellation = BoardCancellation(reason=poll.cancel_reason or "", size=size)
        return LogDescription(
            kind="poll",
            definition=poll.definition_bytes,
            certificate=certificate,
            cancellation=cancellation,
        )

    async def check_entries(self, session: Session | None, log_id: str) -> None:
        """Refuse the entries and the board of a poll while they are held back, and a
        free-text poll's to anyone but its organisation and auditors."""
        poll = await self.polls.get(log_id)
        if poll is None:
            return
        if poll.status in _NOT_PUBLISHED:
            raise conflict(
                "poll-still-open",
                "Ballots not published yet",
                "A poll's ballots are published when it closes, at "
                f"{poll.closes_at.isoformat()}; until then its checkpoints and inclusion "
                "proofs are public, and 'check my ballot' works with your tracking code.",
                publishes_at=poll.closes_at.isoformat(),
            )
        if poll.status == "cancelled" and await self.logs.closed(poll.id) is False:
            raise conflict(
                "poll-being-sealed",
                "Ballots not published yet",
                "The poll was cancelled and its log is being closed: the ballots it accepted "
                "are published under its final checkpoint in a moment. Try again shortly.",
            )
        if not may_see_entries(session, poll):
            raise PermissionDeniedException(
                detail="this poll's ballots hold free-text answers: only its organisation "
                "and auditors may download them"
            )


async def entries_guard(
    connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
) -> None:
    """The guard of the log endpoints: :meth:`PollLogs.check_entries` on entries and board."""
    if handler.handler_name not in _ENTRY_HANDLERS:
        return
    # Guards take no dependencies: the logs come from the state create_app filled.
    poll_logs: PollLogs = connection.app.state.polls.poll_logs
    await poll_logs.check_entries(
        optional_session(connection), str(connection.path_params.get("log_id", ""))
    )
