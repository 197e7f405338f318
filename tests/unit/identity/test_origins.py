"""Embedding origins are scheme://host[:port] and nothing else, so none can reach a
Content-Security-Policy header carrying more than a host source."""

from __future__ import annotations

import pytest

from shared.identity.origins import OriginError, parse_origin
from shared.web.ui.embed import embed_csp

GOOD = [
    ("https://www.tyumen-city.ru", "https://www.tyumen-city.ru"),
    ("https://admtobolsk.ru:8443", "https://admtobolsk.ru:8443"),
    ("HTTPS://Www.Tyumen-City.RU", "https://www.tyumen-city.ru"),
    ("https://администрация.рф", "https://xn--80aalqabyj2ajl4c8g.xn--p1ai"),
    ("https://xn--80aalqabyj2ajl4c8g.xn--p1ai", "https://xn--80aalqabyj2ajl4c8g.xn--p1ai"),
    ("https://192.0.2.10", "https://192.0.2.10"),
    ("https://[2001:db8::1]:443", "https://[2001:db8::1]:443"),
    # A developer's test page: plain http only on the machine itself.
    ("http://localhost:8080", "http://localhost:8080"),
    ("http://127.0.0.1:5173", "http://127.0.0.1:5173"),
    ("http://[::1]:3000", "http://[::1]:3000"),
]

BAD = [
    "",
    "www.tyumen-city.ru",
    "//www.tyumen-city.ru",
    "http://www.tyumen-city.ru",
    "ftp://www.tyumen-city.ru",
    "javascript://x",
    "https://",
    "https://www.tyumen-city.ru/",
    "https://www.tyumen-city.ru/widgets",
    "https://www.tyumen-city.ru?x=1",
    "https://www.tyumen-city.ru#top",
    "https://user@www.tyumen-city.ru",
    "https://*.tyumen-city.ru",
    "https://*",
    "*",
    "'self'",
    "'none'",
    "https://a.ru 'unsafe-inline'",
    "https://a.ru;script-src",
    "https://a.ru; script-src *",
    "https://a.ru,https://b.ru",
    "https://a.ru\n",
    "https://a.ru\r\nSet-Cookie: x=1",
    "https://a.ru\t",
    " https://a.ru",
    'https://a.ru"',
    "https://a.ru'",
    "https://a.ru:0",
    "https://a.ru:65536",
    "https://a.ru:",
    "https://a.ru:+443",
    "https://a.ru:８０",
    "https://-a.ru",
    "https://a-.ru",
    "https://a..ru",
    "https://" + "a" * 64 + ".ru",
    "https://a_b.ru",
    "https://[::1",
    "https://[zz::1]",
    "https://a.ru\x00",
    "data:",
    "blob:https://a.ru",
]


@pytest.mark.parametrize(("text", "origin"), GOOD)
def test_good_origins_are_kept_in_their_canonical_form(text: str, origin: str) -> None:
    assert parse_origin(text) == origin


@pytest.mark.parametrize("text", BAD)
def test_anything_but_scheme_host_and_port_is_refused(text: str) -> None:
    with pytest.raises(OriginError):
        parse_origin(text)


def _directives(csp: str) -> dict[str, str]:
    parts = [p.strip() for p in csp.split(";")]
    return {p.split(" ", 1)[0]: p.partition(" ")[2] for p in parts if p}


@pytest.mark.parametrize("text", BAD)
def test_a_bad_origin_never_reaches_the_frame_ancestors_directive(text: str) -> None:
    csp = embed_csp(("https://a.example", text))
    assert "\n" not in csp
    assert "\r" not in csp
    directives = _directives(csp)
    assert directives == _directives(embed_csp(("https://a.example",)))
    assert directives["frame-ancestors"] == "https://a.example"


def test_only_bad_origins_frame_nowhere() -> None:
    csp = embed_csp(("https://a.ru; script-src *", "*"))
    assert _directives(csp)["frame-ancestors"] == "'none'"
    assert "script-src *" not in csp
