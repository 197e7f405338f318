"""Both page catalogues are complete: every message the templates use is translated in Russian
and in English, and the catalogues hold nothing the templates do not use."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.catalog import Message
from jinja2.ext import babel_extract

from services.discussions.pages import TEMPLATES as DISCUSSIONS_TEMPLATES
from services.discussions.pages.drafts import DRAFT_MESSAGES
from services.discussions.pages.official import OFFICIAL_MESSAGES
from services.discussions.pages.periods import PERIOD_MESSAGES
from services.discussions.pages.widget import WIDGET_MESSAGES as COMMENT_WIDGET_MESSAGES
from services.polls.notifications.texts import NOTIFICATION_MESSAGES
from services.polls.pages import TEMPLATES as POLLS_TEMPLATES
from services.polls.pages.builder import BUILDER_MESSAGES
from services.polls.pages.widget import WIDGET_MESSAGES as POLL_WIDGET_MESSAGES
from shared.identity.admin import ADMIN_MESSAGES
from shared.web.ui.errors import ERROR_MESSAGES
from shared.web.ui.i18n import LANGUAGES, catalog, translations
from shared.web.ui.refusals import CODE_MESSAGES as REFUSAL_MESSAGES
from shared.web.ui.templating import SHARED_TEMPLATES

# Messages translated in Python code rather than in templates.
CODE_MESSAGES = (
    {"funded", "not funded"}
    | REFUSAL_MESSAGES
    | ERROR_MESSAGES
    | DRAFT_MESSAGES
    | PERIOD_MESSAGES
    | OFFICIAL_MESSAGES
    | ADMIN_MESSAGES
    | BUILDER_MESSAGES
    | NOTIFICATION_MESSAGES
    | POLL_WIDGET_MESSAGES
    | COMMENT_WIDGET_MESSAGES
)


def _singular(message: Message) -> str:
    """The msgid a template looks a message up by (the singular of a plural message)."""
    return str(message.id[0] if isinstance(message.id, tuple) else message.id)


def _forms(value: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    """Every form of a msgid or msgstr: one, or one per plural form."""
    if isinstance(value, tuple | list):
        return tuple(str(v) for v in value)
    return (str(value or ""),)


def _translated(message: Message) -> bool:
    return all(_forms(message.string))


def _placeholders(text: str) -> list[str]:
    return sorted(part.split(")")[0] for part in text.split("%(")[1:])


_EXTENSIONS = "jinja2.ext.i18n,shared.web.ui.fragments.KeptFragments"
"""The pages' own Jinja extensions: Babel skips a template whose tags it cannot parse."""


def template_messages() -> dict[str, str]:
    """Every msgid used by a template, with the first file that uses it."""
    found: dict[str, str] = {}
    for folder in (SHARED_TEMPLATES, POLLS_TEMPLATES, DISCUSSIONS_TEMPLATES):
        for path in sorted(Path(folder).rglob("*.html")):
            with path.open("rb") as source:
                for _, _, message, _ in babel_extract(
                    source, ("_", "gettext", "ngettext"), [], {"extensions": _EXTENSIONS}
                ):
                    msgid = message if isinstance(message, str) else message and message[0]
                    if msgid:
                        found.setdefault(str(msgid), path.name)
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_template_message_is_translated(language: str) -> None:
    messages = catalog(language)
    missing = {
        msgid: where
        for msgid, where in template_messages().items()
        if msgid not in messages or not _translated(messages[msgid])
    }
    assert not missing, f"untranslated in {language}.po: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_message_is_translated(language: str) -> None:
    messages = catalog(language)
    missing = {m for m in CODE_MESSAGES if m not in messages or not _translated(messages[m])}
    assert not missing, f"untranslated in {language}.po: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_stale_messages(language: str) -> None:
    used = set(template_messages()) | CODE_MESSAGES
    stale = {_singular(m) for m in catalog(language) if m.id and _singular(m) not in used}
    assert not stale, f"{language}.po lists messages no template uses: {stale}"


def test_russian_is_russian_and_english_is_english() -> None:
    assert translations("ru").gettext("Polls") == "Голосования"
    assert translations("en").gettext("Polls") == "Polls"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    for message in catalog(language):
        if not message.id:
            continue
        # Every form of a plural message names the same values as the English plural.
        names = _placeholders(_forms(message.id)[-1])
        for translated in _forms(message.string):
            assert _placeholders(translated) == names, (message.id, translated)


def test_russian_plurals_have_all_three_forms() -> None:
    plurals = [m for m in catalog("ru") if isinstance(m.id, tuple)]
    assert plurals, "no plural message: the check below would prove nothing"
    for message in plurals:
        assert len(_forms(message.string)) == 3, message.id


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown page language"):
        translations("de")


def test_russian_numbers_agree_with_their_noun() -> None:
    (waiting,) = [
        m for m in catalog("en") if isinstance(m.id, tuple) and m.id[0].startswith("Once ")
    ]
    singular, plural = _forms(waiting.id)
    russian = translations("ru")
    said = {
        n: russian.ngettext(singular, plural, n) % {"num": n, "kept": n // 2} for n in (21, 24, 40)
    }
    assert "наберётся 21 бюллетень," in said[21]
    assert "наберётся 24 бюллетеня," in said[24]
    assert "наберётся 40 бюллетеней," in said[40]
