"""Turn a Markdown or DOCX text into numbered sections with stable anchors (pure code).

A heading starts a section. Its number is the one written in the heading ("1.", "2.1",
"Статья 3.") or, if none is written, the next number at its level. The anchor is derived from
the number ("2.1" → "p2-1"), so the same section keeps its anchor in every later version; an
explicit ``{#anchor}`` at the end of a Markdown heading overrides it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from services.discussions.drafts._package import open_package
from services.discussions.drafts._xml import parse_xml
from services.discussions.errors import InvalidError

__all__ = (
    "MAX_SECTIONS",
    "ParsedSection",
    "anchor_for",
    "check_sections",
    "sections_from_docx",
    "sections_from_markdown",
)

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_EXPLICIT_ANCHOR = re.compile(r"\s*\{#([A-Za-z][A-Za-z0-9_-]{0,63})\}\s*$")
_NUMBER = re.compile(r"^(?:(?:Статья|Пункт|Раздел|Глава|Article|Section)\s+)?(\d+(?:\.\d+)*)\.?\s*")
_ANCHOR = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_XML = 20 * 1024 * 1024
MAX_SECTIONS = 2000
"""Sections one version may have (one insert of them stays within the database's limit of
parameters per statement)."""
MAX_NUMBER = 32
"""Longest section number ("2.1.3"), as the column holds it."""
MAX_HEADING = 500
"""Longest heading, as the column holds it."""


@dataclass(frozen=True, slots=True)
class ParsedSection:
    number: str
    anchor: str
    heading: str
    body: str


def anchor_for(number: str) -> str:
    return "p" + number.replace(".", "-")


class _Numbering:
    def __init__(self) -> None:
        self.counters: list[int] = []

    def next(self, level: int, written: str | None) -> str:
        if written is not None:
            _check_number(written)
            self.counters = [int(p) for p in written.split(".")]
            return written
        del self.counters[level:]
        while len(self.counters) < level:
            self.counters.append(0)
        self.counters[level - 1] += 1
        return ".".join(str(c) for c in self.counters)


def _finish(raw: list[tuple[int, str, list[str]]]) -> list[ParsedSection]:
    numbering = _Numbering()
    sections: list[ParsedSection] = []
    seen: set[str] = set()
    for level, heading_text, body in raw:
        explicit = _EXPLICIT_ANCHOR.search(heading_text)
        heading = heading_text[: explicit.start()] if explicit else heading_text
        match = _NUMBER.match(heading)
        written = match.group(1) if match and match.group(1) else None
        number = numbering.next(level, written)
        anchor = explicit.group(1) if explicit else anchor_for(number)
        if anchor in seen:
            raise InvalidError(
                "duplicate-anchor",
                "Duplicate section anchor",
                f"Two sections would have the anchor {anchor!r}; number them differently.",
            )
        seen.add(anchor)
        sections.append(ParsedSection(number, anchor, heading.strip(), "\n".join(body).strip()))
    if not sections:
        raise InvalidError("no-sections", "No sections", "The text needs at least one heading.")
    return sections


def sections_from_markdown(text: str) -> list[ParsedSection]:
    """Sections of a Markdown text: every ATX heading (``#`` … ``######``) opens one."""
    raw: list[tuple[int, str, list[str]]] = []
    fence = False
    for line in text.splitlines():
        if line.lstrip().startswith("```"):
            fence = not fence
        heading = None if fence else _HEADING.match(line)
        if heading:
            raw.append((len(heading.group(1)), heading.group(2), []))
        elif raw:
            raw[-1][2].append(line)
        elif line.strip():
            raw.append((1, "Преамбула", [line]))
    return _finish(raw)


def _docx_paragraphs(data: bytes) -> list[tuple[int, str]]:
    not_docx = InvalidError("not-docx", "Not a DOCX file", "Upload a Word (.docx) document.")
    if not data.startswith(b"PK\x03\x04"):
        raise not_docx
    with open_package(data) as package:
        if "word/document.xml" not in package.names:
            raise not_docx
        xml = package.read("word/document.xml", _MAX_XML)
    root = parse_xml(xml, part="word/document.xml")
    paragraphs: list[tuple[int, str]] = []
    for p in root.iter(f"{_W}p"):
        style = p.find(f"{_W}pPr/{_W}pStyle")
        name = (style.get(f"{_W}val") or "") if style is not None else ""
        level_match = re.match(r"^(?:Heading|heading|Заголовок)\s?(\d)$", name)
        text = "".join(t.text or "" for t in p.iter(f"{_W}t"))
        paragraphs.append((int(level_match.group(1)) if level_match else 0, text))
    return paragraphs


def sections_from_docx(data: bytes) -> list[ParsedSection]:
    """Sections of a DOCX document: paragraphs styled Heading 1…6 open them."""
    raw: list[tuple[int, str, list[str]]] = []
    for level, text in _docx_paragraphs(data):
        if level:
            raw.append((level, text, []))
        elif raw:
            raw[-1][2].append(text)
        elif text.strip():
            raw.append((1, "Преамбула", [text]))
    return _finish(raw)


def check_anchor(anchor: str) -> str:
    if not _ANCHOR.match(anchor):
        raise InvalidError(
            "bad-anchor", "Invalid section anchor", "Anchors are letters, digits, - and _."
        )
    return anchor


def _check_number(number: str) -> None:
    # Before int(): a number of thousands of digits would otherwise raise a ValueError.
    if len(number) > MAX_NUMBER:
        raise InvalidError(
            "section-number-too-long",
            "Section number too long",
            f"Section numbers have at most {MAX_NUMBER} characters: {number[:40]}…",
        )


def check_sections(sections: Sequence[ParsedSection]) -> None:
    """Refuse sections the database cannot hold as they are: too many, a number or heading
    longer than its column, a NUL character (PostgreSQL text cannot hold one)."""
    if len(sections) > MAX_SECTIONS:
        raise InvalidError(
            "too-many-sections",
            "Too many sections",
            f"A draft has at most {MAX_SECTIONS} sections; split it into several drafts.",
        )
    for section in sections:
        _check_number(section.number)
        if len(section.heading) > MAX_HEADING:
            raise InvalidError(
                "heading-too-long",
                "Heading too long",
                f"Headings have at most {MAX_HEADING} characters: {section.heading[:40]}…",
            )
        if any("\x00" in text for text in (section.heading, section.body, section.anchor)):
            raise InvalidError(
                "nul-character",
                "NUL character in the text",
                f"Section {section.number} contains a NUL character; remove it.",
            )
