"""What the comment widget's script needs (see ``shared.web.ui.widget``): its texts, the
refusals of a comment, where to send it and where to check it."""

from __future__ import annotations

from typing import Any

from litestar import Request

from services.discussions.comment_periods.schemas import CommentPeriodView
from shared.web.ui.pages import ui_settings
from shared.web.ui.widget import Widget

__all__ = ("WIDGET_MESSAGES", "comment_widget_config")

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
