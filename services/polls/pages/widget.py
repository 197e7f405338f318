"""What the poll widget's script needs (see ``shared.web.ui.widget``): its texts, the refusals
of a ballot, where to send it and where to check it."""

from __future__ import annotations

from typing import Any

from litestar import Request

from services.polls.polls.store import PollRecord
from shared.web.ui.pages import local_url
from shared.web.ui.widget import Widget

__all__ = ("WIDGET_MESSAGES", "poll_widget_config")

_WIDGET = Widget(
    kind="poll",
    texts={
        "sign_in": "Sign in with Gosuslugi to vote",
        "send": "Send my ballot",
        "sending": "Sending your ballot…",
        "expired": "Your sign-in has expired: sign in again and send your ballot.",
        "failed": "The ballot could not be sent. Check your connection and try again.",
    },
    refusals=("already-voted", "poll-not-open", "invalid-ballot"),
)

WIDGET_MESSAGES = _WIDGET.messages
"""The msgids the widget's texts use (the catalogue test checks both catalogues hold them)."""


def poll_widget_config(request: Request[Any, Any, Any], poll: PollRecord) -> dict[str, Any]:
    check_url = local_url(request, f"/embed/polls/{poll.id}")
    submit_path = f"/api/v1/polls/{poll.id}/ballots"
    return _WIDGET.config(request, poll.eligibility.min_age, submit_path, check_url, "#check")
