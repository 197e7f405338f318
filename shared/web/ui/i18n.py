"""Page languages: Russian by default, English on request, from Babel ``.po`` catalogues.

The ``.po`` sources are the only committed form; they are compiled in memory when the first
page is rendered, so there is no build step to forget. Message ids are English sentences;
the English catalogue still lists each one, so a test can prove both catalogues are complete.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations
from litestar.connection import ASGIConnection

from shared.web.cookies import read_cookie

__all__ = (
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "LANGUAGE_COOKIE",
    "LOCALE_DIR",
    "catalog",
    "choose_language",
    "translations",
)

LANGUAGES = ("ru", "en")
DEFAULT_LANGUAGE = "ru"
LANGUAGE_COOKIE = "vmeste_lang"
LOCALE_DIR = Path(__file__).parent / "locale"


def catalog(language: str) -> Catalog:
    """The parsed ``.po`` catalogue of ``language``."""
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        return read_po(source, locale=language)


@cache
def translations(language: str) -> Translations:
    """Compiled translations of ``language`` (one of :data:`LANGUAGES`)."""
    if language not in LANGUAGES:
        raise ValueError(f"unknown page language {language!r}; choose from {LANGUAGES}")
    compiled = io.BytesIO()
    write_mo(compiled, catalog(language))
    compiled.seek(0)
    return Translations(fp=compiled, domain="messages")


def choose_language(connection: ASGIConnection[Any, Any, Any, Any]) -> tuple[str, bool]:
    """The page language and whether the choice is new (``?lang=``) and should be remembered:
    an explicit ``?lang=`` wins, then the cookie, then Russian."""
    asked = connection.query_params.get("lang")
    if asked in LANGUAGES:
        return str(asked), read_cookie(connection, LANGUAGE_COOKIE) != asked
    remembered = read_cookie(connection, LANGUAGE_COOKIE)
    if remembered in LANGUAGES:
        return str(remembered), False
    return DEFAULT_LANGUAGE, False
