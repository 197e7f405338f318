"""The service's domain objects and its log service, built once in create_app and injected into
controllers and pages."""

from __future__ import annotations

from dataclasses import dataclass

from litestar.di import Provide

from services.discussions.comment_periods.domain import CommentPeriodsService
from services.discussions.comments.domain import CommentsService
from services.discussions.drafts.domain import DraftsService
from services.discussions.moderation.domain import ModerationService
from services.discussions.pages.widget import WidgetSubject, widget_subjects
from services.discussions.report.domain import ReportService
from services.discussions.responses.domain import ResponsesService
from services.discussions.search.domain import SearchService
from shared.log.service import LogService
from shared.recent_reads import RecentReads
from shared.web.dependencies import state_dependencies

__all__ = ("Discussions", "dependencies")


@dataclass(frozen=True, slots=True)
class Discussions:
    """Every domain service of discussions, one dependency each, and its log service."""

    drafts: DraftsService
    periods: CommentPeriodsService
    comments: CommentsService
    moderation: ModerationService
    responses: ResponsesService
    reports: ReportService
    search: SearchService
    logs: LogService
    """Every comment period's log: receipts, checkpoints, proofs and boards."""
    widgets: RecentReads[WidgetSubject]
    """What each draft's widget shows, read at most a second ago."""

    @classmethod
    def build(cls, logs: LogService) -> Discussions:
        drafts = DraftsService()
        periods = CommentPeriodsService(drafts, logs)
        return cls(
            drafts=drafts,
            periods=periods,
            comments=CommentsService(periods, drafts, logs),
            moderation=ModerationService(),
            responses=ResponsesService(logs),
            reports=ReportService(periods, logs),
            search=SearchService(),
            logs=logs,
            widgets=widget_subjects(drafts, periods),
        )


def dependencies() -> dict[str, Provide]:
    """One dependency per domain service, named as the field (``drafts``, ``periods`` …,
    ``logs``)."""
    return state_dependencies("discussions", Discussions)
