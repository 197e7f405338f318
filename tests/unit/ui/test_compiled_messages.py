"""Templates compiled per language say exactly what the same template says when its messages are
translated at render time, without calling ``_`` for a literal message."""

from __future__ import annotations

from pathlib import Path

import pytest
from jinja2 import Environment

from shared.web.ui.compiled_messages import for_language
from shared.web.ui.templating import SHARED_TEMPLATES, make_environment

_PAGE = """\
{% extends "layout.html" %}
{% block main %}
<h1>{{ _("Check my ballot") }}</h1>
<p title="{{ _('Sign out') }}">{{- _("100%% of them") -}}</p>
<p>{{ _("Reason: %(why)s<br>", why=why) }}</p>
<p>{{ _("Sign out")|upper }} {{ ngettext("%(num)s ballot", "%(num)s ballots", 3) }}</p>
{% kept ("part", lang) %}<i>{{ _("Sign out") }}</i>{% endkept %}
{% include "part.html" %}
{% endblock %}
"""
_LAYOUT = '<html lang="{{ lang }}"><b>{{ _("Vmeste") }}</b>{% block main %}{% endblock %}</html>'
_PART = '<footer>{{ _("How to verify") }}</footer>'


@pytest.fixture
def environment(tmp_path: Path) -> Environment:
    (tmp_path / "page.html").write_text(_PAGE)
    (tmp_path / "layout.html").write_text(_LAYOUT)
    (tmp_path / "part.html").write_text(_PART)
    return make_environment([tmp_path])


@pytest.mark.parametrize("lang", ["ru", "en"])
def test_a_page_compiled_for_its_language_renders_as_it_does_translated_at_render_time(
    environment: Environment, lang: str
) -> None:
    context = {"lang": lang, "why": "<script>"}
    compiled = environment.get_template(for_language(lang, "page.html")).render(context)
    plain = environment.get_template("page.html").render(context)
    assert compiled == plain
    assert "&lt;script&gt;" in compiled
    if lang == "ru":
        assert "Проверить мой бюллетень" in compiled


def test_literal_messages_are_translated_at_compile_time_in_extended_and_included_templates(
    environment: Environment,
) -> None:
    for name, text in (("page.html", _PAGE), ("layout.html", _LAYOUT), ("part.html", _PART)):
        plain = environment.compile(text, name=name, raw=True)
        compiled = environment.compile(text, name=for_language("ru", name), raw=True)
        assert "resolve('_')" in plain
        if name == "page.html":  # the message with a variable, and the filtered one, still call
            assert compiled.count("'Sign out'") == 1
            assert "'Reason: %(why)s<br>'" in compiled
        else:
            assert "resolve('_')" not in compiled
        assert "'Check my ballot'" not in compiled
        assert "'Vmeste'" not in compiled


def test_an_included_template_is_compiled_for_the_language_of_the_page(
    environment: Environment,
) -> None:
    assert environment.join_path("part.html", for_language("en", "page.html")) == for_language(
        "en", "part.html"
    )
    assert environment.join_path("part.html", "page.html") == "part.html"
    assert environment.join_path(for_language("ru", "x.html"), for_language("en", "page.html")) == (
        for_language("ru", "x.html")
    )


def test_only_the_pages_languages_name_a_compiled_template() -> None:
    with pytest.raises(ValueError, match="unknown page language"):
        for_language("de", "polls/poll.html")
    # A name with an @ that is not a language prefix is an ordinary template name.
    environment = make_environment()
    assert environment.join_path("ui/base.html", "de@x.html") == "ui/base.html"
    assert (SHARED_TEMPLATES / "ui" / "base.html").exists()
