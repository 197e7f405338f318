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

_MAX_KEPT = 2_000
"""Parts kept at once; when full, all are dropped and kept again as they are asked for."""


class KeptFragments(Extension):
    tags = {"kept"}  # noqa: RUF012 - Jinja reads the tags from this class attribute

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        self._kept: dict[Hashable, Markup] = {}

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
            if len(self._kept) >= _MAX_KEPT:
                self._kept.clear()
            self._kept[key] = found
        return found
