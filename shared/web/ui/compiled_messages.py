"""Templates compiled once per language, their literal messages translated at compile time.

A page's ``{{ _("Sign out") }}`` costs a call through Jinja's context on every render (about
1.6 µs; the check page has 45 of them). The message and, for a page, its language are known
before the render, so ``page()`` asks for the template under a per-language name
(:func:`for_language`, ``ru@polls/check.html``): the loader serves the same source, and
:class:`TranslatedLiterals` replaces each ``{{ _("literal") }}`` in it by the translated text,
exactly as the call would have output it (catalogue text is trusted like the template, and
``%%`` is ``%``). Everything else stays a call: messages with variables, filters or other
expressions around ``_``, ``ngettext``. Templates a page extends, includes or imports are
compiled for the same language (:meth:`PerLanguageEnvironment.join_path`). A template asked
for under its plain name renders as before, translating at render time from ``lang``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableMapping
from typing import Any

from jinja2 import BaseLoader, Environment
from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream

from shared.web.ui.i18n import LANGUAGES

__all__ = ("PerLanguageEnvironment", "PerLanguageLoader", "TranslatedLiterals", "for_language")

_MARK = "@"
_LITERAL_CALL = ("variable_begin", "name", "lparen", "string", "rparen", "variable_end")


def for_language(language: str, template: str) -> str:
    """The name under which ``template`` is compiled for ``language``."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown page language {language!r}; choose from {LANGUAGES}")
    return f"{language}{_MARK}{template}"


def _split(name: str | None) -> tuple[str | None, str | None]:
    """(language, plain name) of a per-language name; (None, name) of any other."""
    if name is None:
        return None, None
    language, mark, plain = name.partition(_MARK)
    if mark and language in LANGUAGES:
        return language, plain
    return None, name


class PerLanguageLoader(BaseLoader):
    """Serves a per-language name from the plain template's source."""

    def __init__(self, inner: BaseLoader) -> None:
        self._inner = inner

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str | None, Callable[[], bool] | None]:
        _, plain = _split(template)
        return self._inner.get_source(environment, plain or template)

    def list_templates(self) -> list[str]:
        return self._inner.list_templates()


class PerLanguageEnvironment(Environment):
    """A template compiled for a language extends, includes and imports its language's.

    Its templates read the environment's globals as they were when the template was loaded
    (a plain dict, not Jinja's live ``ChainMap`` over them): every render, include and import
    iterates the globals to make its context, and a ``ChainMap`` iterates in Python. Jinja
    asks that globals not change once a template is loaded; ours are all set before the first
    page (:func:`shared.web.ui.templating.make_environment`, Litestar's engine).
    """

    def make_globals(self, d: MutableMapping[str, Any] | None) -> MutableMapping[str, Any]:
        return {**self.globals, **(d or {})}

    def join_path(self, template: str, parent: str) -> str:
        language, _ = _split(parent)
        if language is None or _split(template)[0] is not None:
            return template
        return for_language(language, template)


class TranslatedLiterals(Extension):
    """Replaces ``{{ _("literal") }}`` by its translation in per-language templates.

    The environment's ``literal_translator(language, message)`` gives the text as the runtime
    ``_`` outputs it; while it is None, templates compile unchanged.
    """

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        environment.extend(literal_translator=None)

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        language, _ = _split(stream.name)
        translate = self.environment.literal_translator  # type: ignore[attr-defined]
        if language is None or translate is None:
            return stream
        return _translated(list(stream), language, translate)


def _translated(
    tokens: list[Token], language: str, translate: Callable[[str, str], str]
) -> Iterator[Token]:
    i = 0
    while i < len(tokens):
        window = tokens[i : i + len(_LITERAL_CALL)]
        if (
            tuple(t.type for t in window) == _LITERAL_CALL
            and window[1].value == "_"
            and isinstance(window[3].value, str)
        ):
            yield Token(window[0].lineno, "data", translate(language, window[3].value))
            i += len(_LITERAL_CALL)
        else:
            yield tokens[i]
            i += 1
