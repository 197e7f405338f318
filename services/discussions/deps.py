"""The service's domain objects and its ledger, built once in create_app and injected into
controllers."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from litestar.datastructures import State
from litestar.di import Provide

from services.discussions.comments.domain import CommentsService
from services.discussions.drafts.domain import DraftsService
from services.discussions.moderation.domain import ModerationService
from services.discussions.periods.domain import PeriodsService
from services.discussions.report.domain import ReportService
from services.discussions.responses.domain import ResponsesService
from services.discussions.search.domain import SearchService
from shared.ledger.service import LogService

__all__ = ("Discussions", "dependencies")


@dataclass(frozen=True, slots=True)
class Discussions:
    drafts: DraftsService
    periods: PeriodsService
    comments: CommentsService
    moderation: ModerationService
    responses: ResponsesService
    reports: ReportService
    search: SearchService

    @classmethod
    def build(cls, ledger: LogService) -> Discussions:
        drafts = DraftsService()
        periods = PeriodsService(drafts, ledger)
        return cls(
            drafts=drafts,
            periods=periods,
            comments=CommentsService(periods, drafts, ledger),
            moderation=ModerationService(),
            responses=ResponsesService(ledger),
            reports=ReportService(periods, ledger),
            search=SearchService(),
        )


def _provider(name: str) -> Provide:
    def provide(state: State) -> Any:
        return getattr(state.discussions, name)

    return Provide(provide, sync_to_thread=False)


def _provide_ledger(state: State) -> LogService:
    ledger: LogService = state.ledger
    return ledger


def dependencies() -> dict[str, Provide]:
    """One dependency per domain service, named as the field (``drafts``, ``periods`` …),
    and the service's log as ``ledger``."""
    services = {f.name: _provider(f.name) for f in fields(Discussions)}
    return {**services, "ledger": Provide(_provide_ledger, sync_to_thread=False)}
