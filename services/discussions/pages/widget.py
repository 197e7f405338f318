"""What the comment widget's script needs: where to sign in and to send the comment, and the
refusals it may meet, already in the page's language (the API speaks English)."""

from __future__ import annotations

from typing import Any

from litestar import Request

from services.discussions.periods.schemas import PeriodView
from shared.web.ui.pages import gettext, local_url, ui_settings
from shared.web.ui.refusals import problem_message
from shared.web.ui.widget_sign_in import SIGN_IN_TEXTS, widget_sign_in

__all__ = ("WIDGET_MESSAGES", "comment_widget_config")

_REFUSALS = (
    "account-not-confirmed",
    "outside-territory",
    "not-on-roll",
    "not-eligible",
    "period-not-open",
    "bad-text",
    "stance-required",
    "wording-required",
    "unknown-section",
    "rate-limited",
    "not-found",
)
_TEXTS = {
    "sign_in": "Sign in with Gosuslugi to comment",
    "send": "Send comment",
    "sending": "Sending your comment…",
    "expired": "Your sign-in has expired: sign in again and send your comment.",
    "failed": "The comment could not be sent. Check your connection and try again.",
}

WIDGET_MESSAGES = frozenset({*_TEXTS.values(), *SIGN_IN_TEXTS.values()})
"""The msgids the widget's texts use (the catalogue test checks both catalogues hold them)."""


def comment_widget_config(request: Request[Any, Any, Any], period: PeriodView) -> dict[str, Any]:
    def translate(message: str) -> str:
        return gettext(request, message)

    config = widget_sign_in(request, _TEXTS)
    config["messages"].update({code: problem_message(translate, code) for code in _REFUSALS})
    age = f"at least {period.eligibility.min_age}"
    config["messages"]["too-young"] = problem_message(translate, "too-young", age)
    own = ui_settings(request).url_of("discussions")
    return {
        **config,
        "kind": "comment",
        "submit_url": local_url(request, f"/api/v1/periods/{period.id}/comments"),
        # The full check page, in a new tab: it is not a widget and may not be framed.
        "check_url": f"{own}/discussions/{period.id}/check",
        "check_hash": "",
    }
