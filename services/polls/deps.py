"""The service's domain objects, built once in create_app and injected into controllers."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import Provide

from services.polls.casting.domain import CastService
from services.polls.logs import PollLogs
from services.polls.notifications.in_app import InAppList
from services.polls.notifications.inbox import NotificationInbox
from services.polls.notifications.preferences import PreferencesService
from services.polls.polls.domain import PollService
from services.polls.results.domain import ResultsService
from shared.ledger.service import LogService
from shared.web.dependencies import state_dependencies

__all__ = ("Polls", "dependencies")


@dataclass(frozen=True, slots=True)
class Polls:
    polls: PollService
    results: ResultsService
    casting: CastService
    ledger: LogService
    logs: PollLogs
    in_app: InAppList
    inbox: NotificationInbox
    preferences: PreferencesService


def dependencies() -> dict[str, Provide]:
    """One dependency per domain service, named as the field (``polls``, ``casting`` …)."""
    return state_dependencies("polls", Polls)
