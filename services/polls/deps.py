"""The service's domain objects, built once in create_app and injected into controllers."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import Provide

from services.polls.casting.domain import CastService
from services.polls.logs import PollLogs
from services.polls.notifications.components import NotificationServices
from services.polls.polls.domain import PollService
from services.polls.results.domain import ResultsService
from shared.log.service import LogService
from shared.web.dependencies import state_dependencies

__all__ = ("Polls", "dependencies")


@dataclass(frozen=True, slots=True)
class Polls:
    polls: PollService
    results: ResultsService
    casting: CastService
    logs: LogService
    """Every poll's log: receipts, checkpoints, proofs and boards."""
    poll_logs: PollLogs
    """What each poll's board holds and when its entries may be read (services/polls/logs.py)."""


def dependencies() -> dict[str, Provide]:
    """One dependency per domain service, named as the field (``polls``, ``casting`` …),
    and the notifications' (``in_app``, ``inbox``, ``preferences``)."""
    return {
        **state_dependencies("polls", Polls),
        **state_dependencies("notifications", NotificationServices),
    }
