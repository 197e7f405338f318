"""Sections with stable anchors from Markdown and DOCX."""

from __future__ import annotations

import tracemalloc

import pytest

from services.discussions.drafts.importers import (
    MAX_SECTIONS,
    check_sections,
    sections_from_docx,
    sections_from_markdown,
)
from services.discussions.errors import (
    DomainError,
    InvalidError,
    TooLargeError,
    UnprocessableError,
    UnsupportedError,
)
from tests.unit.discussions._files import (
    docx,
    docx_with_document_xml,
    encrypted_docx,
    lying_docx,
)

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_BODY = (
    f'<w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body></w:document>'
)
_DTD = '<!DOCTYPE w:document [<!ENTITY x "entity text">]>'


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


@pytest.mark.parametrize(
    "xml",
    [
        (_DTD + _BODY).encode(),
        ('<?xml version="1.0" encoding="UTF-16"?>' + _DTD + _BODY).encode("utf-16"),
        ('<?xml version="1.0" encoding="UTF-16BE"?>' + _DTD + _BODY).encode("utf-16-be"),
        ('<?xml version="1.0" encoding="windows-1251"?>' + _DTD + _BODY).encode("cp1251"),
    ],
    ids=["utf-8", "utf-16", "utf-16be-without-bom", "windows-1251"],
)
def test_xml_declaring_a_dtd_is_refused_whatever_its_encoding(xml: bytes) -> None:
    with pytest.raises(UnprocessableError) as refused:
        sections_from_docx(docx_with_document_xml(xml))
    assert refused.value.slug == "xml-dtd-refused"


def test_docx_in_utf16_without_a_dtd_is_read() -> None:
    heading = '<w:p><w:pPr><w:pStyle w:val="Heading1"/></w:pPr><w:r><w:t>Статья 1</w:t></w:r></w:p>'
    xml = f'<?xml version="1.0" encoding="UTF-16"?><w:document xmlns:w="{_W}"><w:body>{heading}'
    xml += "</w:body></w:document>"
    [section] = sections_from_docx(docx_with_document_xml(xml.encode("utf-16")))
    assert (section.number, section.heading) == ("1", "Статья 1")


@pytest.mark.parametrize("xml", [b"<w:document", b"", b"<a></b>", b"\xff\xfe<"])
def test_malformed_document_xml_is_refused(xml: bytes) -> None:
    with pytest.raises(UnprocessableError) as refused:
        sections_from_docx(docx_with_document_xml(xml))
    assert refused.value.slug == "malformed-xml"


def test_encrypted_docx_is_refused() -> None:
    with pytest.raises(UnsupportedError) as refused:
        sections_from_docx(encrypted_docx())
    assert refused.value.slug == "encrypted-document"


def test_document_lying_about_its_size_is_not_unpacked_past_the_limit() -> None:
    # The header says 100 bytes, the part unpacks to 64 MiB: zipfile alone would unpack it
    # all in one go before its CRC check fails.
    document = lying_docx("word/document.xml", 64 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(DomainError) as refused:
            sections_from_docx(document)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 1024 * 1024
    assert refused.value.status in (413, 422)


def test_document_larger_than_the_limit_is_refused_as_too_large() -> None:
    xml = b"<w:document>" + b" " * (21 * 1024 * 1024) + b"</w:document>"
    with pytest.raises(TooLargeError):
        sections_from_docx(docx_with_document_xml(xml))


@pytest.mark.parametrize(
    "markdown",
    [
        "# " + "1" * 5000 + ". Огромный номер",
        "# " + ".".join(["1"] * 20) + " Глубокий пункт",
        "# " + "Я" * 501,
        "# 1. Заголовок с \x00",
        "# 1. Заголовок\nтекст с \x00",
        "".join(f"# {n}. Пункт\n" for n in range(1, MAX_SECTIONS + 2)),
    ],
    ids=["huge-number", "long-number", "long-heading", "nul-heading", "nul-body", "too-many"],
)
def test_sections_the_database_cannot_hold_are_refused(markdown: str) -> None:
    with pytest.raises(InvalidError):
        check_sections(sections_from_markdown(markdown))


def test_sections_up_to_the_limits_are_accepted() -> None:
    markdown = "".join(f"# {n}. Пункт\n" for n in range(1, MAX_SECTIONS))
    markdown += "## " + ".".join(["1"] * 16) + " " + "Я" * 460
    check_sections(sections_from_markdown(markdown))
