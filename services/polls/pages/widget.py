"""What the poll widget's script needs: where to sign in and to send the ballot, and the
refusals it may meet, already in the page's language (the API speaks English)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from services.polls.polls.store import PollRecord
from shared.web.ui.pages import gettext, local_url
from shared.web.ui.refusals import problem_message
from shared.web.ui.widget_sign_in import widget_sign_in

__all__ = ("WIDGET_MESSAGES", "poll_widget_config", "widget_messages")

_REFUSALS = (
    "account-not-confirmed",
    "outside-territory",
    "not-on-roll",
    "not-eligible",
    "already-voted",
    "poll-not-open",
    "invalid-ballot",
    "rate-limited",
    "not-found",
)
_WIDGET_TEXTS = {
    "sign_in": "Sign in with Gosuslugi to vote",
    "send": "Send my ballot",
    "sending": "Sending your ballot…",
    "waiting": "Finish signing in in the window that opened.",
    "blocked": "Your browser blocked the sign-in window. Allow pop-up windows for this site, "
    "or take part on Vmeste itself.",
    "expired": "Your sign-in has expired: sign in again and send your ballot.",
    "failed": "The ballot could not be sent. Check your connection and try again.",
    "general": "The request was refused. Check the page and try again.",
}

WIDGET_MESSAGES = frozenset(_WIDGET_TEXTS.values())
"""The msgids the widget's texts use (the catalogue test checks both catalogues hold them)."""


def widget_messages(request: Request[Any, Any, Any], poll: PollRecord) -> dict[str, str]:
    def translate(message: str) -> str:
        return gettext(request, message)

    messages = {code: problem_message(translate, code) for code in _REFUSALS}
    min_age = poll.eligibility.min_age
    # The age is the poll's, known now: the refusal's English detail need not be parsed.
    messages["too-young"] = problem_message(translate, "too-young", f"at least {min_age}")
    messages.update({key: translate(text) for key, text in _WIDGET_TEXTS.items()})
    return messages


def poll_widget_config(request: Request[Any, Any, Any], poll: PollRecord) -> dict[str, Any]:
    return {
        **widget_sign_in(request),
        "ballots_url": local_url(request, f"/api/v1/polls/{poll.id}/ballots"),
        "check_url": local_url(request, f"/embed/polls/{poll.id}"),
        "messages": widget_messages(request, poll),
    }
