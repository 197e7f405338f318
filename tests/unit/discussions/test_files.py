"""Attachments are accepted by content: PDF magic, DOCX and ODT package structure."""

from __future__ import annotations

import hashlib

import pytest

from services.discussions.drafts.files import DOCX, ODT, PDF, check_file
from services.discussions.errors import TooLargeError, UnsupportedError
from tests.unit.discussions._files import (
    docx,
    docx_with_macros,
    odt,
    odt_with_basic,
    zip_bomb_docx,
    zip_file,
)


def test_pdf_docx_odt_are_accepted_with_their_hash() -> None:
    document = docx([(1, "Статья 1")])
    assert check_file("a.pdf", b"%PDF-1.4 x").media_type == PDF
    checked = check_file("dir/../проект.DOCX", document)
    assert checked.media_type == DOCX
    assert checked.filename == "проект.DOCX"
    assert checked.sha256 == hashlib.sha256(document).hexdigest()
    assert check_file("a.odt", odt()).media_type == ODT


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("zip.pdf", zip_file()),
        ("text.pdf", b"hello"),
        ("plain.docx", zip_file()),
        ("pdf.docx", b"%PDF-1.4"),
        ("bomb.docx", zip_bomb_docx()),
        ("a.exe", b"%PDF-1.4"),
        ("empty.pdf", b""),
    ],
)
def test_files_are_refused_by_content(name: str, data: bytes) -> None:
    with pytest.raises(UnsupportedError):
        check_file(name, data)


def test_oversize_file_is_refused() -> None:
    with pytest.raises(TooLargeError):
        check_file("big.pdf", b"%PDF-" + b"0" * (10 * 1024 * 1024))


@pytest.mark.parametrize(
    ("name", "data"), [("draft.docx", docx_with_macros()), ("draft.odt", odt_with_basic())]
)
def test_documents_with_macros_are_refused(name: str, data: bytes) -> None:
    with pytest.raises(UnsupportedError, match="macros"):
        check_file(name, data)
