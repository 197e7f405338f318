"""The services' refusals in the page's language.

The domain and the API speak English (their text is part of the API and stays as it is); the
pages map the stable codes (problem slugs, eligibility codes, ballot issues) to messages of the
page catalogues instead. A code nobody mapped falls back to a general sentence in the page's
language, never to the English detail.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Protocol

__all__ = (
    "CODE_MESSAGES",
    "Translate",
    "eligibility_message",
    "issue_message",
    "poll_issue_message",
    "problem_message",
)

Translate = Callable[[str], str]


class _Ineligible(Protocol):
    @property
    def code(self) -> str: ...
    @property
    def reason(self) -> str: ...


_TOO_YOUNG = "Participants must be at least %(age)s years old on the opening day."
_GENERAL = "The request was refused. Check the page and try again."

# Stable codes (eligibility codes and problem slugs) to msgids of the page catalogues.
_BY_CODE: dict[str, str] = {
    "account-not-confirmed": "Only confirmed Gosuslugi accounts may take part: confirm your "
    "account on Gosuslugi first.",
    "outside-territory": "Your registration address is outside the territory this is open to.",
    "not-on-roll": "This is open only to the people on its voter roll.",
    "not-eligible": "You may not take part in this.",
    "already-voted": "You have already voted in this poll; check your ballot with the "
    "tracking code.",
    "poll-not-open": "Ballots are accepted only while the poll is open.",
    "invalid-ballot": "Correct the marked answers and send the ballot again.",
    "period-not-open": "Comments are accepted only between the announced start and end of the "
    "discussion.",
    "unknown-section": "The draft has no such section: choose one from the list or leave it "
    "empty for the whole draft.",
    "bad-text": "Write your comment: it is empty or too long.",
    "stance-required": "Choose your stance.",
    "wording-required": "A comment proposing wording needs the wording you propose.",
    "poll-not-draft": "Only a draft poll can be scheduled or fully edited.",
    "poll-frozen": "The poll is scheduled: only its description and whether intermediate "
    "results are shown can still change.",
    "poll-finished": "A finished poll cannot be changed.",
    "poll-closes-in-past": "The closing time has passed: move it into the future first.",
    "poll-not-cancellable": "Only draft, scheduled and open polls can be cancelled.",
    "csrf-refused": "The form has expired or was not sent from this site. Reload the page and "
    "send it again.",
    "rate-limited": "Too many requests: wait a little and try again.",
    "no-sections": "Start every section with a Markdown heading, e.g. # 1. Title",
    "duplicate-anchor": "Two sections have the same number or anchor: number them differently.",
    "heading-too-long": "Headings must be at most 500 characters long.",
    "section-number-too-long": "Section numbers must be at most 32 characters long.",
    "too-many-sections": "A draft may have at most 2000 sections: split it into several drafts.",
    "nul-character": "The text contains a NUL character (a zero byte): remove it.",
    "not-found": "Nothing exists at this address, or you may not see it.",
    "forbidden": "Your account does not have the permission for this.",
    "not-a-draft": "The discussion is already announced.",
    "end-in-past": "The end of the discussion has passed, so it cannot be announced with "
    "these dates.",
    "bad-reason": "Write the reason for the extension: it is too short or too long. Everyone "
    "sees it on the discussion's page.",
    "period-not-running": "Only an announced or open discussion can be extended.",
    "period-extension-limit": "The discussion has been extended as many times as it may be.",
    "period-cannot-shorten": "The new end must be later than the current end and in the "
    "future: a discussion is never shortened.",
    "period-not-closed": "The report is published once the discussion has closed.",
    "moderation-incomplete": "Comments still await moderation: publish or reject each of them "
    "before publishing the report.",
    "witnesses-pending": "The witnesses have not yet cosigned the final state of the "
    "discussion's log. Publish again in a minute.",
    "report-published": "The report is already published.",
    "report-changed": "A rating arrived while the report was being made: publish again and the "
    "report will include it.",
    "empty-query": "Type at least one word to search for.",
    "bad-filter": "Choose the search filters from their lists.",
    "bad-cursor": "This page of comments is no longer valid: start again from the first comments.",
    "attachment-refused": "The file was refused: only PDF, DOCX and ODT documents without "
    "macros are accepted, and the file's name must match its content.",
    "attachment-too-large": "The file is too large: files are limited to 10 MiB.",
    "damaged-document": "The document is damaged: save it again and upload the new file.",
    "encrypted-document": "The document is protected by a password: save it without one.",
    "unsupported-package": "The file is not a document that can be read: upload a DOCX file.",
    "document-expands-too-far": "The document unpacks to too much data: simplify or split it.",
    "too-many-parts": "The document unpacks to too much data: simplify or split it.",
    "malformed-xml": "The document's contents cannot be read: save it again from a word processor.",
    "xml-dtd-refused": "The document's contents cannot be read: save it again from a word "
    "processor.",
    "too-many-versions": "The draft has as many versions as it may: start a new draft.",
    "attachment-removed": "The attachment was already removed.",
    "already-moderated": "This comment was already moderated: reload the queue.",
    "reason-required": "Choose the reason for the rejection.",
    "no-reason": "A published comment takes no rejection reason.",
    "already-responded": "This comment was already answered: correct the response instead.",
    "comment-not-published": "Only published comments get a response: moderate it first.",
    "justification-required": "Write the justification of the decision.",
    "no-response-yet": "There is no response to correct: answer the comment first.",
    "correction-unchanged": "The correction changes nothing: change the decision or its "
    "justification.",
}

# Ballot issues (English reasons of ``shared.tally.ballot``) to msgids with their numbers.
_ISSUES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^this question must be answered$"), "Answer this question."),
    (re.compile(r"^expected one of "), "Choose one of the options."),
    (
        re.compile(r"^choose between (?P<low>\d+) and (?P<high>\d+) options$"),
        "Choose from %(low)s to %(high)s options.",
    ),
    (
        re.compile(r"^rank exactly (?P<n>\d+) options"),
        "Rank exactly %(n)s options, best first.",
    ),
    (
        re.compile(r"^expected a whole number from (?P<low>-?\d+) to (?P<high>-?\d+)$"),
        "Choose a value from %(low)s to %(high)s.",
    ),
    (
        re.compile(r"^expected text of 1 to (?P<n>\d+) characters$"),
        "Write from 1 to %(n)s characters.",
    ),
    (
        re.compile(r"^approve between 1 and (?P<n>\d+) projects$"),
        "Choose from 1 to %(n)s projects.",
    ),
    (re.compile(r"^approve at least one project$"), "Choose at least one project."),
    (
        re.compile(r"^the chosen projects cost"),
        "The chosen projects cost more than the budget.",
    ),
    (
        re.compile(r"^give between 1 and (?P<n>\d+) points$"),
        "Give from 1 to %(n)s points to a project.",
    ),
    (re.compile(r"^give points to at least one project$"), "Give points to at least one project."),
    (
        re.compile(r"^(?P<total>\d+) points given, at most (?P<n>\d+) allowed$"),
        "%(total)s points given, at most %(n)s allowed.",
    ),
)
_ISSUE_FALLBACK = "This answer is not valid."

# A poll's settings the domain refuses (path of its 422 issue, English reason) to msgids.
_POLL_ISSUES: tuple[tuple[str, re.Pattern[str], str], ...] = (
    (
        "reason",
        re.compile(r"^at least 3 characters"),
        "Give the reason for cancelling, at least 3 characters: it is published with the poll.",
    ),
    (
        "anonymity_batch",
        re.compile(r"^must be at least (?P<n>\d+)"),
        "Anonymity batch: give at least %(n)s. Ballots enter the public log in shuffled batches "
        "of at least this many, so that nobody who knows when a person voted can pick out their "
        "ballot; a smaller batch would hide it among too few.",
    ),
    (
        "anonymity_batch",
        re.compile(r"^must be at most (?P<n>\d+)"),
        "Anonymity batch: give at most %(n)s.",
    ),
)

CODE_MESSAGES: frozenset[str] = frozenset(
    {
        _TOO_YOUNG,
        _GENERAL,
        _ISSUE_FALLBACK,
        *_BY_CODE.values(),
        *(message for _, message in _ISSUES),
        *(message for _, _, message in _POLL_ISSUES),
    }
)
"""Every msgid this module uses (the catalogue test checks both catalogues hold them)."""


def _format(translate: Translate, message: str, values: Mapping[str, Any]) -> str:
    text = translate(message)
    return text % dict(values) if values else text


def problem_message(
    translate: Translate,
    slug: str,
    detail: str = "",
    extra: Mapping[str, Any] | None = None,
) -> str:
    """A refusal with problem ``slug`` in the page's language; a ``not-eligible`` refusal
    names its eligibility code in ``extra`` (``reason`` in polls, ``code`` in discussions)."""
    if slug == "not-eligible" and extra:
        code = extra.get("reason") or extra.get("code")
        if isinstance(code, str) and code != "not-eligible":
            return problem_message(translate, code, detail)
    if slug == "too-young":
        found = re.search(r"at least (\d+)", detail)
        return _format(translate, _TOO_YOUNG, {"age": found.group(1) if found else "?"})
    message = _BY_CODE.get(slug)
    return translate(message) if message is not None else translate(_GENERAL)


def eligibility_message(translate: Translate, refusal: _Ineligible) -> str:
    """Why a person may not take part, from the eligibility code."""
    return problem_message(translate, refusal.code, refusal.reason)


def issue_message(translate: Translate, reason: str) -> str:
    """One ballot issue, from the ballot checker's English reason."""
    for pattern, message in _ISSUES:
        found = pattern.match(reason)
        if found is not None:
            return _format(translate, message, found.groupdict())
    return translate(_ISSUE_FALLBACK)


def poll_issue_message(translate: Translate, path: str, reason: str) -> str | None:
    """One refused poll setting (a 422 issue of the poll domain) in the page's language, or
    None when no message is mapped for it."""
    for field, pattern, message in _POLL_ISSUES:
        found = pattern.match(reason) if path == field else None
        if found is not None:
            return _format(translate, message, found.groupdict())
    return None
