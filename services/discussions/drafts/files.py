"""Which uploaded files are accepted, decided by their content, never by their name alone.

PDF must start with ``%PDF-``; DOCX and ODT are ZIP packages whose structure is checked
(DOCX: ``[Content_Types].xml`` and ``word/document.xml``; ODT: a first ``mimetype`` member
saying ``application/vnd.oasis.opendocument.text``), read through
:mod:`services.discussions.drafts._package` so a crafted archive cannot exhaust memory here or
when someone opens it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import PurePath

from services.discussions.drafts._package import Package, open_package
from services.discussions.drafts._xml import parse_xml
from services.discussions.errors import TooLargeError, UnsupportedError

__all__ = ("MAX_ATTACHMENT_BYTES", "CheckedFile", "check_file")

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
"""Largest attachment accepted (10 MiB)."""
_MAX_CONTENT_TYPES = 1024 * 1024
"""A real [Content_Types].xml is a few kilobytes."""

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


def _has_macros(package: Package) -> bool:
    """VBA projects in OOXML (vbaProject.bin, a macro-enabled content type) and Basic or
    script libraries in ODF: a published draft must not carry code to its readers."""
    names = package.names
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return True
    if any(n.startswith(("Basic/", "Scripts/")) for n in names):
        return True
    if "[Content_Types].xml" in names:
        # Parsed, not searched as bytes: the part may be UTF-16, as OPC allows.
        types = parse_xml(
            package.read("[Content_Types].xml", _MAX_CONTENT_TYPES), part="[Content_Types].xml"
        )
        declared = " ".join(e.get("ContentType", "") for e in types.iter()).lower()
        return "macroenabled" in declared or "vbaproject" in declared
    return False


def _sniff(data: bytes) -> str:
    if data.startswith(b"%PDF-"):
        return PDF
    if not data.startswith(b"PK\x03\x04"):
        raise _refuse("Only PDF, DOCX and ODT files are accepted.")
    with open_package(data) as package:
        if _has_macros(package):
            raise _refuse("Documents with macros are not accepted: save it without macros.")
        if {"[Content_Types].xml", "word/document.xml"} <= package.names:
            return DOCX
        first = package.members[0].filename if package.members else None
        if first == "mimetype" and package.read("mimetype", 1024).strip() == ODT.encode():
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
