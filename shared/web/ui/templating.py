"""The Jinja environment of every page: shared layout and partials, the service's own templates,
translations chosen per request, and a few formatting filters."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from shared.eligibility import Ineligible
from shared.web.inert_text import inert_html
from shared.web.ui.i18n import DEFAULT_LANGUAGE, translations
from shared.web.ui.refusals import eligibility_message

__all__ = ("SHARED_TEMPLATES", "make_environment")

SHARED_TEMPLATES = Path(__file__).parent / "templates"


def _language(context: Context) -> str:
    return str(context.get("lang") or DEFAULT_LANGUAGE)


@pass_context
def _gettext(context: Context, message: str) -> str:
    return translations(_language(context)).gettext(message)


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return translations(_language(context)).ngettext(singular, plural, n)


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
    escaped = Markup.escape(value)
    return Markup("<br>").join(escaped.split("\n"))


def _inert(value: str) -> Markup:
    return Markup(inert_html(value))  # noqa: S704 - inert_html escapes every character first


def make_environment(service_templates: Sequence[Path] = ()) -> Environment:
    """A sandbox-free but autoescaping environment; undefined names fail loudly in tests."""
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader([*service_templates, SHARED_TEMPLATES])]),
        autoescape=True,
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    environment.filters.update(
        roubles=_roubles, moment=_moment, percent=_percent, nl2br=_nl2br, inert=_inert
    )
    environment.globals.update(now=lambda: dt.datetime.now(dt.UTC), refusal_text=_refusal_text)
    return environment
