"""The Jinja environment of every page: shared layout and partials, the service's own templates,
translations chosen per request, and a few formatting filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from shared.eligibility import Ineligible
from shared.web.inert_text import inert_html
from shared.web.ui.compiled_messages import (
    PerLanguageEnvironment,
    PerLanguageLoader,
    TranslatedLiterals,
)
from shared.web.ui.fragments import KeptFragments
from shared.web.ui.i18n import DEFAULT_LANGUAGE, translations
from shared.web.ui.refusals import eligibility_message

__all__ = ("SHARED_TEMPLATES", "make_environment")

SHARED_TEMPLATES = Path(__file__).parent / "templates"


def _language(context: Context) -> str:
    return str(context.get("lang") or DEFAULT_LANGUAGE)


_WITHOUT_VARIABLES: dict[tuple[str, str], Markup] = {}
"""Messages without variables as pages show them, by (language, message id): a page asks for
dozens (the browser verifier's strings alone are forty), and Jinja's own wrappers looked each
one up, marked it and formatted it again on every render."""
_CACHED_MAX = 20_000
"""Message ids are template literals, so this is never reached; a bound all the same."""


def _marked(language: str, message: str) -> Markup:
    # Translations are trusted like the templates themselves (Jinja's newstyle gettext marks
    # them the same way); only the variables formatted into them are escaped.
    return Markup(translations(language).gettext(message))  # noqa: S704 - catalogue text


def _without_variables(language: str, message: str) -> Markup:
    key = (language, message)
    shown = _WITHOUT_VARIABLES.get(key)
    if shown is None:
        shown = _marked(language, message) % {}
        if len(_WITHOUT_VARIABLES) < _CACHED_MAX:
            _WITHOUT_VARIABLES[key] = shown
    return shown


@pass_context
def _gettext(context: Context, message: str, **variables: Any) -> str:
    """Jinja's newstyle ``gettext``: the message is always a format string (``%%`` is ``%``)."""
    language = _language(context)
    if variables:
        return _marked(language, message) % variables
    return _without_variables(language, message)


def _literal(language: str, message: str) -> str:
    """``{{ _(message) }}`` as a per-language template outputs it without a call."""
    return str(_without_variables(language, message))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int, **variables: Any) -> str:
    variables.setdefault("num", n)
    message = translations(_language(context)).ngettext(singular, plural, n)
    return Markup(message) % variables  # noqa: S704 - catalogue text, variables escaped


@pass_context
def _csrf(context: Context) -> Markup:
    """The hidden field that carries the page's CSRF token in a form: ``{{ csrf() }}``."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        context["csrf_field"], context["csrf_token"]
    )


@pass_context
def _refusal_text(context: Context, refusal: Ineligible) -> str:
    """Why a person may not take part, in the page's language (from the stable code)."""
    return eligibility_message(translations(_language(context)).gettext, refusal)


def _roubles(value: int | None) -> str:
    """``1 250 000 ₽`` with narrow no-break spaces, as Russian typography groups digits."""
    if value is None:
        return "—"
    return f"{value:,}".replace(",", "\u202f") + "\u00a0₽"


def _moment(value: dt.datetime | None) -> str:
    if value is None:
        return "—"
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")


def _percent(part: int | float, whole: int | float) -> int:
    return round(100 * part / whole) if whole else 0


def _nl2br(value: str) -> Markup:
    # One escape of the whole text, then plain string replacement: joining the escaped lines
    # as Markup escaped each line again (a long draft's section has hundreds). The escaped
    # text holds no "<", so the only tags in the result are the <br> put here.
    return Markup(str(Markup.escape(value)).replace("\n", "<br>"))  # noqa: S704 - escaped above


def _inert(value: str) -> Markup:
    return Markup(inert_html(value))  # noqa: S704 - inert_html escapes every character first


def make_environment(service_templates: Sequence[Path] = ()) -> Environment:
    """A sandbox-free but autoescaping environment; undefined names fail loudly in tests."""
    environment = PerLanguageEnvironment(
        loader=PerLanguageLoader(
            ChoiceLoader([FileSystemLoader([*service_templates, SHARED_TEMPLATES])])
        ),
        autoescape=True,
        # Templates ship with the code and change only with a new process, like the code: no
        # file is checked for changes on each render (seven stat calls per poll page).
        auto_reload=False,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n", KeptFragments, TranslatedLiterals],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    # In place of Jinja's wrappers around the two (and of its ``_`` alias calling the wrapper):
    # ours already mark and format as newstyle gettext does, with the marked message cached.
    environment.globals.update(_=_gettext, gettext=_gettext, ngettext=_ngettext)
    environment.literal_translator = _literal  # type: ignore[attr-defined]
    environment.filters.update(
        roubles=_roubles, moment=_moment, percent=_percent, nl2br=_nl2br, inert=_inert
    )
    environment.globals.update(
        now=lambda: dt.datetime.now(dt.UTC), refusal_text=_refusal_text, csrf=_csrf
    )
    return environment
