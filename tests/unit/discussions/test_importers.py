"""Sections with stable anchors from Markdown and DOCX."""

from __future__ import annotations

import pytest

from services.discussions.drafts.importers import sections_from_docx, sections_from_markdown
from services.discussions.errors import InvalidError
from tests.unit.discussions._files import docx


def test_markdown_headings_become_numbered_sections() -> None:
    sections = sections_from_markdown(
        "Вступление\n# Общие положения\nТекст\n## Цели\n```\n# not a heading\n```\n"
        "# Статья 7. Сроки {#deadlines}\nДо 1 мая\n## Порядок\n"
    )
    assert [(s.number, s.anchor, s.heading) for s in sections] == [
        ("1", "p1", "Преамбула"),
        ("2", "p2", "Общие положения"),
        ("2.1", "p2-1", "Цели"),
        ("7", "deadlines", "Статья 7. Сроки"),
        ("7.1", "p7-1", "Порядок"),
    ]
    assert "# not a heading" in sections[2].body


def test_anchor_follows_the_number_so_versions_keep_it() -> None:
    first = sections_from_markdown("# 1. А\n# 2. Б\n## 2.1 В\n")
    second = sections_from_markdown("# 1. А (новая редакция)\n# 2. Б\n## 2.1 В изменено\n")
    assert [s.anchor for s in first] == [s.anchor for s in second] == ["p1", "p2", "p2-1"]


def test_duplicate_anchor_and_empty_text_are_refused() -> None:
    with pytest.raises(InvalidError):
        sections_from_markdown("# 1. А\n# 1. Б\n")
    with pytest.raises(InvalidError):
        sections_from_markdown("")


def test_docx_heading_styles_open_sections() -> None:
    sections = sections_from_docx(docx([(0, "Преамбула"), (1, "Статья 2. Б"), (0, "текст")]))
    assert [(s.number, s.anchor, s.body) for s in sections] == [
        ("1", "p1", "Преамбула"),
        ("2", "p2", "текст"),
    ]


def test_non_docx_is_refused() -> None:
    with pytest.raises(InvalidError):
        sections_from_docx(b"not a zip")
