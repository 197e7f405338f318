"""What a notification says, in Russian or English: the in-app line, and the e-mail's subject
and body. Facts come from the event (no personal data); wording from the page catalogues."""

from __future__ import annotations

from typing import Any

import msgspec

from services.polls.notifications.kinds import Kind
from shared.web.ui.i18n import LANGUAGES, translations

__all__ = ("NOTIFICATION_MESSAGES", "Links", "Rendered", "confirmation_email", "render")


class Links(msgspec.Struct, frozen=True, kw_only=True):
    """Public base URLs of both services, without a trailing slash."""

    polls: str
    discussions: str


class Rendered(msgspec.Struct, frozen=True, kw_only=True):
    subject: str
    """The in-app line and the e-mail's subject."""
    body: str
    """The e-mail's plain text."""
    link: str
    """Where the in-app entry leads."""


DISPOSITIONS = {
    "accepted": "accepted",
    "partially_accepted": "partially accepted",
    "rejected": "rejected",
    "noted": "noted",
}

_RESPONSE_SUBJECT = "An official responded to your comment %(code)s"
_RESPONSE_BODY = "Decision: %(disposition)s. Justification: %(justification)s"
_OPENED_SUBJECT = "A poll of your municipality has opened: %(title)s"
_OPENED_BODY = "Voting is open until %(closes)s (UTC). Take part:"
_TALLY_SUBJECT = "Results are published: %(title)s"
_TALLY_BODY = "The tally is recounted from the public ballot log and signed. See the results:"
_REPORT_SUBJECT = "The report of a public discussion you took part in is published"
_REPORT_BODY = "Every comment is listed with its decision. See the draft and the report:"
_FOOTER = (
    "You receive this because you asked for it. Choose what to receive, or stop e-mails, here:"
)
_CONFIRM_SUBJECT = "Confirm your e-mail address for Vmeste notifications"
_CONFIRM_BODY = (
    "Someone, hopefully you, asked to receive Vmeste notifications at this address. To "
    "confirm, open this link within a day while signed in:"
)
_CONFIRM_IGNORE = "If it was not you, ignore this message: nothing will be sent."

NOTIFICATION_MESSAGES = frozenset(
    {
        _RESPONSE_SUBJECT,
        _RESPONSE_BODY,
        _OPENED_SUBJECT,
        _OPENED_BODY,
        _TALLY_SUBJECT,
        _TALLY_BODY,
        _REPORT_SUBJECT,
        _REPORT_BODY,
        _FOOTER,
        _CONFIRM_SUBJECT,
        _CONFIRM_BODY,
        _CONFIRM_IGNORE,
        *DISPOSITIONS.values(),
    }
)
"""Every message this module translates (the catalogue test checks both languages)."""


def _language(language: str) -> str:
    return language if language in LANGUAGES else LANGUAGES[0]


def render(kind: str, facts: dict[str, Any], language: str, links: Links) -> Rendered:
    """The notification of one event for one reader."""
    t = translations(_language(language)).gettext
    settings_link = f"{links.polls}/notifications/settings"
    if kind == Kind.RESPONSE:
        disposition = DISPOSITIONS.get(str(facts.get("disposition", "")), "noted")
        subject = t(_RESPONSE_SUBJECT) % {"code": facts.get("tracking_code", "")}
        text = t(_RESPONSE_BODY) % {
            "disposition": t(disposition),
            "justification": facts.get("justification", ""),
        }
        link = f"{links.discussions}/my/comments"
    elif kind == Kind.POLL_OPENED:
        subject = t(_OPENED_SUBJECT) % {"title": facts.get("title", "")}
        closes = str(facts.get("closes_at", ""))[:16].replace("T", " ")
        text = t(_OPENED_BODY) % {"closes": closes}
        link = f"{links.polls}/polls/{facts.get('poll', '')}"
    elif "period" in facts:
        subject = t(_REPORT_SUBJECT)
        text = t(_REPORT_BODY)
        link = f"{links.discussions}/drafts/{facts.get('draft', '')}"
    else:
        subject = t(_TALLY_SUBJECT) % {"title": facts.get("title", "")}
        text = t(_TALLY_BODY)
        link = f"{links.polls}/polls/{facts.get('poll', '')}/results"
    body = f"{subject}\n\n{text}\n{link}\n\n--\n{t(_FOOTER)}\n{settings_link}\n"
    return Rendered(subject=subject, body=body, link=link)


def confirmation_email(language: str, link: str) -> Rendered:
    t = translations(_language(language)).gettext
    subject = t(_CONFIRM_SUBJECT)
    body = f"{t(_CONFIRM_BODY)}\n{link}\n\n{t(_CONFIRM_IGNORE)}\n"
    return Rendered(subject=subject, body=body, link=link)
