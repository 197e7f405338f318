"""``{% kept key %}…{% endkept %}``: a part of a page rendered once per key and then reused.

For parts that are the same for everyone who sees them and cost most of a page: a poll's
questions as an empty form are the same for every citizen of the poll, in each language, until
the poll changes. The key must name everything the part shows (the poll, its last change, the
language); a key of ``none`` renders the part afresh (a form given back with its answers).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

from jinja2 import Environment, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from markupsafe import Markup

__all__ = ("KeptFragments",)

_MAX_KEPT_CHARACTERS = 8_000_000
"""Characters of the parts kept at once (8 to 32 MB of a worker's memory); when more would be
kept, all are dropped and kept again as they are asked for. Bounded by size, not by count: a
discussion's page keeps each of up to 200 comments and each section of its draft."""


class KeptFragments(Extension):
    tags = {"kept"}  # noqa: RUF012 - Jinja reads the tags from this class attribute

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._kept: dict[Hashable, Markup] = {}
        self._characters = 0

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        key = parser.parse_expression()
        body = parser.parse_statements(("name:endkept",), drop_needle=True)
        call = self.call_method("_render", [key])
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render(self, key: Hashable | None, caller: Callable[[], Markup]) -> Markup:
        if key is None:
            return caller()
        found = self._kept.get(key)
        if found is None:
            found = caller()
            if self._characters + len(found) > _MAX_KEPT_CHARACTERS:
                self._kept.clear()
                self._characters = 0
            self._kept[key] = found
            self._characters += len(found)
        return found
