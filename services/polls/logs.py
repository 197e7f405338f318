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

from litestar import Controller
from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from services.polls.errors import conflict
from services.polls.polls.domain import may_see_entries
from services.polls.polls.store import PollStore
from shared.identity.guards import optional_session
from shared.ledger.board import BoardCancellation, BoardCertificate
from shared.ledger.http import LogDescription, log_controller
from shared.ledger.service import LogService

__all__ = ("poll_logs_controller",)

_ENTRY_HANDLERS = frozenset({"board", "entries"})
_NOT_PUBLISHED = frozenset({"scheduled", "open"})


def poll_logs_controller(ledger: LogService, polls: PollStore) -> type[Controller]:
    async def lookup(log_id: str) -> LogDescription | None:
        poll = await polls.get(log_id)
        if poll is None or poll.status == "draft":
            return None
        certificate = None
        if poll.certificate is not None and poll.results is not None:
            certificate = BoardCertificate(poll.certificate, poll.results)
        cancellation = None
        if poll.status == "cancelled" and await ledger.closed(log_id):
            size = await ledger.size(log_id)
            cancellation = BoardCancellation(reason=poll.cancel_reason or "", size=size)
        return LogDescription(
            kind="poll",
            definition=poll.definition_bytes,
            certificate=certificate,
            cancellation=cancellation,
        )

    async def entries_guard(
        connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        if handler.handler_name not in _ENTRY_HANDLERS:
            return
        poll = await polls.get(str(connection.path_params.get("log_id", "")))
        if poll is not None and poll.status in _NOT_PUBLISHED:
            raise conflict(
                "poll-still-open",
                "Ballots not published yet",
                "A poll's ballots are published when it closes, at "
                f"{poll.closes_at.isoformat()}; until then its checkpoints and inclusion "
                "proofs are public, and 'check my ballot' works with your tracking code.",
                publishes_at=poll.closes_at.isoformat(),
            )
        if (
            poll is not None
            and poll.status == "cancelled"
            and await ledger.closed(poll.id) is False
        ):
            raise conflict(
                "poll-being-sealed",
                "Ballots not published yet",
                "The poll was cancelled and its log is being closed: the ballots it accepted "
                "are published under its final checkpoint in a moment. Try again shortly.",
            )
        if poll is not None and not may_see_entries(optional_session(connection), poll):
            raise PermissionDeniedException(
                detail="this poll's ballots hold free-text answers: only its organisation "
                "and auditors may download them"
            )

    base = log_controller(ledger, lookup)

    class PollLogController(base):  # type: ignore[valid-type,misc]
        guards = [entries_guard]  # noqa: RUF012 - Litestar reads it as a class attribute

    return PollLogController
