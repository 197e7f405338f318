"""Which uploaded files are accepted, decided by their content, never by their name alone.

PDF must start with ``%PDF-``; DOCX and ODT are ZIP packages whose structure is checked
(DOCX: ``[Content_Types].xml`` and ``word/document.xml``; ODT: a first ``mimetype`` member
saying ``application/vnd.oasis.opendocument.text``), and whose expansion is bounded so a
crafted archive cannot exhaust memory or disk when someone opens it.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from dataclasses import dataclass
from pathlib import PurePath

from services.discussions.errors import TooLargeError, UnsupportedError

__all__ = ("MAX_ATTACHMENT_BYTES", "CheckedFile", "check_file", "check_zip_package")

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
"""Largest attachment accepted (10 MiB)."""
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_RATIO = 100
MAX_MEMBERS = 2000

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
_BY_SUFFIX = {".pdf": PDF, ".docx": DOCX, ".odt": ODT}


@dataclass(frozen=True, slots=True)
class CheckedFile:
    filename: str
    media_type: str
    size: int
    sha256: str


def _refuse(detail: str) -> UnsupportedError:
    return UnsupportedError("attachment-refused", "File refused", detail)


def check_zip_package(data: bytes) -> zipfile.ZipFile:
    """Open a ZIP package after bounding member count, unpacked size and compression ratio."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise _refuse("The file is not a valid document package.") from None
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise _refuse("The document package has too many parts.")
    unpacked = sum(m.file_size for m in members)
    if unpacked > MAX_UNPACKED_BYTES or unpacked > MAX_RATIO * max(len(data), 1):
        raise _refuse("The document package expands to far more than its size (a zip bomb?).")
    return archive


def _has_macros(archive: zipfile.ZipFile, names: set[str]) -> bool:
    """VBA projects in OOXML (vbaProject.bin, a macro-enabled content type) and Basic or
    script libraries in ODF: a published draft must not carry code to its readers."""
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return True
    if any(n.startswith(("Basic/", "Scripts/")) for n in names):
        return True
    if "[Content_Types].xml" in names:
        types = archive.read("[Content_Types].xml").lower()
        return b"macroenabled" in types or b"vbaproject" in types
    return False


def _sniff(data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        return PDF
    if not data.startswith(b"PK\x03\x04"):
        raise _refuse("Only PDF, DOCX and ODT files are accepted.")
    with check_zip_package(data) as archive:
        names = set(archive.namelist())
        if _has_macros(archive, names):
            raise _refuse("Documents with macros are not accepted: save it without macros.")
        if "[Content_Types].xml" in names and "word/document.xml" in names:
            return DOCX
        first = archive.infolist()[0]
        if first.filename == "mimetype" and archive.read(first).strip() == ODT.encode():
            return ODT
    raise _refuse("The ZIP file is neither a DOCX nor an ODT document.")


def check_file(filename: str, data: bytes) -> CheckedFile:
    """Accept ``data`` if its content is what its name says; raise otherwise."""
    name = PurePath(filename.replace("\\", "/")).name.strip()[:255] or "attachment"
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise TooLargeError(
            "attachment-too-large",
            "Attachment too large",
            f"Attachments are limited to {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MiB.",
        )
    if not data:
        raise _refuse("The file is empty.")
    claimed = _BY_SUFFIX.get(PurePath(name).suffix.lower())
    if claimed is None:
        raise _refuse("Only .pdf, .docx and .odt files are accepted.")
    actual = _sniff(data)
    if actual != claimed:
        raise _refuse(f"The file is named {name!r} but its content is not that kind of file.")
    return CheckedFile(name, actual, len(data), hashlib.sha256(data).hexdigest())
