"""What a widget's script needs: where to sign in and to send, and the refusals it may meet,
already in the page's language (the API speaks English). Each service describes its own
widget (:class:`Widget`): its texts, its refusals and its addresses."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from litestar import Request

from shared.web.ui.i18n import choose_language, translations
from shared.web.ui.pages import local_url
from shared.web.ui.refusals import problem_message
from shared.web.ui.widget_sign_in import SIGN_IN_TEXTS, widget_sign_in

__all__ = ("Widget",)

_ELIGIBILITY_REFUSALS = (
    "account-not-confirmed",
    "outside-territory",
    "not-on-roll",
    "not-eligible",
)
"""Refusals of whom the platform lets take part, which every widget may meet."""
_LAST_REFUSALS = ("rate-limited", "not-found")
_MAX_TRANSLATED = 256
"""(language, minimum age) pairs whose texts a widget keeps: two languages, a few ages."""


@dataclass(frozen=True, slots=True)
class Widget:
    """One service's widget."""

    kind: str
    """What the script sends (``poll``, ``comment``)."""
    texts: dict[str, str]
    """What the script says (msgids), beside the sign-in's own texts."""
    refusals: tuple[str, ...]
    """The slugs of the service's own refusals of what is sent."""
    _translated: dict[tuple[str, int], dict[str, str]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def messages(self) -> frozenset[str]:
        """The msgids the texts use (the catalogue test checks both catalogues hold them)."""
        return frozenset({*self.texts.values(), *SIGN_IN_TEXTS.values()})

    def config(
        self,
        request: Request[Any, Any, Any],
        min_age: int,
        submit_path: str,
        check_url: str,
        check_hash: str = "",
    ) -> dict[str, Any]:
        """The script's configuration for a page: its texts and refusals in the page's
        language, where to send (``submit_path`` of this service) and where the person checks
        what was sent."""
        return {
            **widget_sign_in(request),
            "messages": self._messages(choose_language(request)[0], min_age),
            "kind": self.kind,
            "submit_url": local_url(request, submit_path),
            "check_url": check_url,
            "check_hash": check_hash,
        }

    def _messages(self, language: str, min_age: int) -> dict[str, str]:
        """The sign-in's and the widget's texts and its refusals in ``language``: the same for
        every page of one language and minimum age, so translated once (the catalogues do not
        change while a process runs)."""
        key = (language, min_age)
        found = self._translated.get(key)
        if found is not None:
            return found
        translate = translations(language).gettext
        messages = {key: translate(text) for key, text in {**SIGN_IN_TEXTS, **self.texts}.items()}
        codes = (*_ELIGIBILITY_REFUSALS, *self.refusals, *_LAST_REFUSALS)
        messages.update({code: problem_message(translate, code) for code in codes})
        # The age is the page's subject's, known now: the refusal's English detail need not
        # be parsed.
        messages["too-young"] = problem_message(translate, "too-young", f"at least {min_age}")
        if len(self._translated) >= _MAX_TRANSLATED:
            self._translated.clear()
        self._translated[key] = messages
        return messages
