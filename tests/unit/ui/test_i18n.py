"""Both page catalogues are complete: every message the templates use is translated in Russian
and in English, and the catalogues hold nothing the templates do not use."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2.ext import babel_extract

from services.discussions.pages import TEMPLATES as DISCUSSIONS_TEMPLATES
from services.discussions.pages.drafts import DRAFT_MESSAGES
from services.polls.pages import TEMPLATES as POLLS_TEMPLATES
from shared.web.ui.errors import ERROR_MESSAGES
from shared.web.ui.i18n import LANGUAGES, catalog, translations
from shared.web.ui.refusals import CODE_MESSAGES as REFUSAL_MESSAGES
from shared.web.ui.templating import SHARED_TEMPLATES

# Messages translated in Python code rather than in templates.
CODE_MESSAGES = {"funded", "not funded"} | REFUSAL_MESSAGES | ERROR_MESSAGES | DRAFT_MESSAGES


def template_messages() -> dict[str, str]:
    """Every msgid used by a template, with the first file that uses it."""
    found: dict[str, str] = {}
    for folder in (SHARED_TEMPLATES, POLLS_TEMPLATES, DISCUSSIONS_TEMPLATES):
        for path in sorted(Path(folder).rglob("*.html")):
            with path.open("rb") as source:
                for _, _, message, _ in babel_extract(
                    source, ("_", "gettext", "ngettext"), [], {"extensions": "jinja2.ext.i18n"}
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
        if msgid not in messages or not messages[msgid].string
    }
    assert not missing, f"untranslated in {language}.po: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_message_is_translated(language: str) -> None:
    messages = catalog(language)
    missing = {m for m in CODE_MESSAGES if m not in messages or not messages[m].string}
    assert not missing, f"untranslated in {language}.po: {missing}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_has_no_stale_messages(language: str) -> None:
    used = set(template_messages()) | CODE_MESSAGES
    stale = {m.id for m in catalog(language) if m.id and m.id not in used}
    assert not stale, f"{language}.po lists messages no template uses: {stale}"


def test_russian_is_russian_and_english_is_english() -> None:
    assert translations("ru").gettext("Polls") == "Голосования"
    assert translations("en").gettext("Polls") == "Polls"


def test_placeholders_survive_translation() -> None:
    for message in catalog("ru"):
        if message.id and "%(" in str(message.id):
            names = sorted(part.split(")")[0] for part in str(message.id).split("%(")[1:])
            translated = sorted(part.split(")")[0] for part in str(message.string).split("%(")[1:])
            assert names == translated, message.id


def test_unknown_language_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown page language"):
        translations("de")
