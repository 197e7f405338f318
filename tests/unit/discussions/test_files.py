"""Attachments are accepted by content: PDF magic, DOCX and ODT package structure."""

from __future__ import annotations

import hashlib
import random
import tracemalloc

import pytest

from services.discussions.drafts.files import DOCX, ODT, PDF, check_file
from services.discussions.errors import (
    DomainError,
    TooLargeError,
    UnprocessableError,
    UnsupportedError,
)
from tests.unit.discussions._files import (
    bzip2_docx,
    docx,
    docx_with_macros,
    encrypted_docx,
    lying_docx,
    odt,
    odt_with_basic,
    utf16_macro_docx,
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


def test_documents_with_macros_are_found_whatever_the_encoding_of_their_content_types() -> None:
    with pytest.raises(UnsupportedError, match="macros"):
        check_file("draft.docx", utf16_macro_docx())


def test_zip_bomb_is_refused_as_too_large() -> None:
    with pytest.raises(TooLargeError) as refused:
        check_file("bomb.docx", zip_bomb_docx())
    assert refused.value.slug == "document-expands-too-far"


def test_encrypted_package_is_refused_as_unsupported() -> None:
    with pytest.raises(UnsupportedError) as refused:
        check_file("secret.docx", encrypted_docx())
    assert refused.value.slug == "encrypted-document"


def test_package_compressed_as_no_word_processor_writes_is_refused() -> None:
    # bzip2 and LZMA members are unpacked a whole read at a time, so their expansion
    # cannot be bounded step by step: only stored and deflated members are read.
    with pytest.raises(UnsupportedError) as refused:
        check_file("odd.docx", bzip2_docx())
    assert refused.value.slug == "unsupported-package"


def test_a_part_lying_about_its_size_is_refused_without_being_unpacked() -> None:
    # Its headers say 100 bytes; it unpacks to 40 MiB. Only the bytes actually unpacked
    # count, in small steps, so memory stays far below what the part expands to.
    document = lying_docx("[Content_Types].xml", 40 * 1024 * 1024)
    tracemalloc.start()
    try:
        with pytest.raises(DomainError) as refused:
            check_file("liar.docx", document)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024
    assert refused.value.status in (413, 422)


def test_damaged_packages_are_refused_as_problems_never_crashes() -> None:
    # Bytes flipped and files cut short at random: zipfile raises a dozen kinds of error
    # (ValueError, EOFError, zlib.error, NotImplementedError, ...); each must be a refusal.
    rnd = random.Random(13)
    originals = [docx([(1, "Статья 1"), (0, "Текст " * 40)]), odt()]
    statuses = set()
    for n in range(3000):
        damaged = bytearray(originals[n % 2])
        for _ in range(rnd.randint(1, 4)):
            damaged[rnd.randrange(len(damaged))] = rnd.randrange(256)
        if rnd.random() < 0.2:
            damaged = damaged[: rnd.randrange(4, len(damaged))]
        for name in ("a.docx", "a.odt"):
            try:
                check_file(name, bytes(damaged))
            except DomainError as refused:
                statuses.add(refused.status)
    assert statuses <= {413, 415, 422}, statuses


def test_a_part_whose_bytes_do_not_match_its_header_is_refused_as_damaged() -> None:
    with pytest.raises(UnprocessableError) as refused:
        check_file("damaged.docx", lying_docx("[Content_Types].xml", 10))
    assert refused.value.slug == "damaged-document"
