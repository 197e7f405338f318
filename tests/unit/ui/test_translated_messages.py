"""Messages in pages: translated, marked safe, formatted as Jinja's newstyle gettext does."""

from __future__ import annotations

from shared.web.ui.templating import make_environment


def _render(source: str, lang: str, **context: object) -> str:
    return make_environment().from_string(source).render(lang=lang, **context)


def test_a_message_is_translated_into_the_page_language_every_time() -> None:
    source = '{{ _("Check my ballot") }}'
    assert _render(source, "ru") == "Проверить мой бюллетень"
    assert _render(source, "en") == "Check my ballot"
    assert _render(source, "ru") == "Проверить мой бюллетень"


def test_a_percent_sign_is_written_twice_even_without_variables() -> None:
    assert _render('{{ _("100%% of them") }}', "en") == "100% of them"
    assert _render('{{ _("100%% of them") }}', "en") == "100% of them"


def test_variables_are_escaped_and_the_message_is_not() -> None:
    out = _render('{{ _("Reason: %(why)s<br>", why=why) }}', "en", why="<script>")
    assert out == "Reason: &lt;script&gt;<br>"


def test_plural_forms_take_the_number_and_other_variables() -> None:
    source = '{{ ngettext("%(num)s ballot, %(who)s", "%(num)s ballots, %(who)s", n, who=who) }}'
    assert _render(source, "en", n=1, who="<a>") == "1 ballot, &lt;a&gt;"
    assert _render(source, "en", n=3, who="b") == "3 ballots, b"
