"""XML from uploaded documents, parsed only if it declares no DTD, whatever its encoding.

A DOCTYPE can declare entities that expand a few bytes into gigabytes, or name files to
fetch; word processors never write one. Looking for the bytes ``<!DOCTYPE`` misses it in a
document encoded as UTF-16 (or any encoding but UTF-8 and its relatives), so it is looked for
where the parser itself meets it: expat decodes the text as the byte-order mark or the XML
declaration says, and a handler refuses the first declaration before any entity is used.
"""

from __future__ import annotations

from xml.etree import ElementTree as ET
from xml.parsers import expat

from services.discussions.errors import UnprocessableError

__all__ = ("parse_xml",)


class _DeclarationError(Exception):
    """A DOCTYPE or ENTITY declaration met while scanning."""


def _refuse(*_: object) -> None:
    raise _DeclarationError


def _malformed(part: str, exc: Exception) -> UnprocessableError:
    return UnprocessableError(
        "malformed-xml",
        "Malformed document",
        f"{part} is not well-formed XML ({exc}); save the document again and upload the new file.",
    )


def parse_xml(data: bytes, *, part: str) -> ET.Element:
    """The root element of ``data`` (the document's ``part``), refused if it declares a DTD
    or an entity, or is not well-formed XML."""
    scanner = expat.ParserCreate()
    scanner.StartDoctypeDeclHandler = _refuse
    scanner.EntityDeclHandler = _refuse
    try:
        scanner.Parse(data, True)
    except _DeclarationError:
        raise UnprocessableError(
            "xml-dtd-refused",
            "Document declares a DTD",
            f"{part} declares a DTD (<!DOCTYPE …>), which word processors never write; it is "
            "refused as a possible XML bomb.",
        ) from None
    except expat.ExpatError as exc:
        raise _malformed(part, exc) from None
    try:
        return ET.fromstring(data)  # noqa: S314 - the scan above refused any DTD or entity
    except ET.ParseError as exc:
        raise _malformed(part, exc) from None
