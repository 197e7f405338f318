"""What the poll widget's script needs: where to sign in and to send the ballot, and the
refusals it may meet, already in the page's language (the API speaks English)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from services.polls.polls.store import PollRecord
from shared.web.ui.pages import gettext, local_url
from shared.web.ui.refusals import problem_message
from shared.web.ui.widget_sign_in import SIGN_IN_TEXTS, widget_sign_in

__all__ = ("WIDGET_MESSAGES", "poll_widget_config")

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
_TEXTS = {
    "sign_in": "Sign in with Gosuslugi to vote",
    "send": "Send my ballot",
    "sending": "Sending your ballot…",
    "expired": "Your sign-in has expired: sign in again and send your ballot.",
    "failed": "The ballot could not be sent. Check your connection and try again.",
}

WIDGET_MESSAGES = frozenset({*_TEXTS.values(), *SIGN_IN_TEXTS.values()})
"""The msgids the widget's texts use (the catalogue test checks both catalogues hold them)."""


def poll_widget_config(request: Request[Any, Any, Any], poll: PollRecord) -> dict[str, Any]:
    def translate(message: str) -> str:
        return gettext(request, message)

    config = widget_sign_in(request, _TEXTS)
    config["messages"].update({code: problem_message(translate, code) for code in _REFUSALS})
    # The age is the poll's, known now: the refusal's English detail need not be parsed.
    age = f"at least {poll.eligibility.min_age}"
    config["messages"]["too-young"] = problem_message(translate, "too-young", age)
    return {
        **config,
        "kind": "poll",
        "submit_url": local_url(request, f"/api/v1/polls/{poll.id}/ballots"),
        "check_url": local_url(request, f"/embed/polls/{poll.id}"),
        "check_hash": "#check",
    }
