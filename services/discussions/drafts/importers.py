"""Turn a Markdown or DOCX text into numbered sections with stable anchors (pure code).

A heading starts a section. Its number is the one written in the heading ("1.", "2.1",
"Статья 3.") or, if none is written, the next number at its level. The anchor is derived from
the number ("2.1" → "p2-1"), so the same section keeps its anchor in every later version; an
explicit ``{#anchor}`` at the end of a Markdown heading overrides it.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from xml.etree import ElementTree as ET

from services.discussions.errors import InvalidError

__all__ = ("ParsedSection", "anchor_for", "sections_from_docx", "sections_from_markdown")

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_EXPLICIT_ANCHOR = re.compile(r"\s*\{#([A-Za-z][A-Za-z0-9_-]{0,63})\}\s*$")
_NUMBER = re.compile(r"^(?:(?:Статья|Пункт|Раздел|Глава|Article|Section)\s+)?(\d+(?:\.\d+)*)\.?\s*")
_ANCHOR = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,63}$")
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_MAX_XML = 20 * 1024 * 1024


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
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            info = archive.getinfo("word/document.xml")
            if info.file_size > _MAX_XML:
                raise InvalidError("docx-too-large", "Document too large", "Split the document.")
            xml = archive.read(info)
    except (zipfile.BadZipFile, KeyError):
        raise InvalidError(
            "not-docx", "Not a DOCX file", "Upload a Word (.docx) document."
        ) from None
    if b"<!DOCTYPE" in xml or b"<!ENTITY" in xml:
        raise InvalidError("not-docx", "Not a DOCX file", "The document declares XML entities.")
    root = ET.fromstring(xml)  # noqa: S314 - entity declarations refused just above
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
