"""What the comment widget shows and what its script needs (see ``shared.web.ui.widget``): the
draft and its latest comment period, read at most a second ago; its texts, the refusals of a
comment, where to send it and where to check it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from litestar import Request

from services.discussions.comment_periods.domain import CommentPeriodsService
from services.discussions.comment_periods.schemas import CommentPeriodView
from services.discussions.drafts.domain import DraftsService
from services.discussions.drafts.schemas import DraftDetail
from services.discussions.errors import DomainError
from shared.recent_reads import RecentReads
from shared.web.ui.pages import ui_settings
from shared.web.ui.widget import Widget

__all__ = (
    "WIDGET_MESSAGES",
    "WIDGET_RECENT_S",
    "WidgetSubject",
    "comment_widget_config",
    "widget_subjects",
)

WIDGET_RECENT_S = 1.0
"""How old what a widget shows may be: a change of the draft or of its periods reaches the
widgets within this time."""
_PERIODS = 10
"""Periods of a draft the widget looks through for its latest."""
_clock: Callable[[], float] = time.monotonic


@dataclass(frozen=True, slots=True)
class WidgetSubject:
    """What a draft's widget shows."""

    draft: DraftDetail
    period: CommentPeriodView
    """The draft's latest comment period."""


def widget_subjects(
    drafts: DraftsService, periods: CommentPeriodsService
) -> RecentReads[WidgetSubject]:
    """Each draft's widget subject (by the draft's id) as read at most
    :data:`WIDGET_RECENT_S` ago.

    A widget is on every page of an organisation's site that embeds it, and reading a draft
    with its sections, versions and attachments and then its periods takes six queries. What
    the widget sends is judged by the database as any comment is: a period that closed a
    moment ago refuses it, whatever the widget still showed.
    """

    async def read(draft_id: str) -> WidgetSubject | None:
        try:
            draft = await drafts.get(uuid.UUID(draft_id))
        except DomainError:
            return None
        listed = await periods.page(draft_id=draft.id, status=None, cursor=None, limit=_PERIODS)
        return WidgetSubject(draft, listed.items[-1]) if listed.items else None

    return RecentReads(read, WIDGET_RECENT_S, lambda: _clock())


_WIDGET = Widget(
    kind="comment",
    texts={
        "sign_in": "Sign in with Gosuslugi to comment",
        "send": "Send comment",
        "sending": "Sending your comment…",
        "expired": "Your sign-in has expired: sign in again and send your comment.",
        "failed": "The comment could not be sent. Check your connection and try again.",
    },
    refusals=(
        "period-not-open",
        "bad-text",
        "stance-required",
        "wording-required",
        "unknown-section",
    ),
)

WIDGET_MESSAGES = _WIDGET.messages
"""The msgids the widget's texts use (the catalogue test checks both catalogues hold them)."""


def comment_widget_config(
    request: Request[Any, Any, Any], period: CommentPeriodView
) -> dict[str, Any]:
    # The full check page, in a new tab: it is not a widget and may not be framed.
    check_url = f"{ui_settings(request).url_of('discussions')}/discussions/{period.id}/check"
    submit_path = f"/api/v1/periods/{period.id}/comments"
    return _WIDGET.config(request, period.eligibility.min_age, submit_path, check_url)
