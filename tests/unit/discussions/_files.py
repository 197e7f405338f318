"""Small DOCX, ODT and ZIP files built in memory for the tests."""

from __future__ import annotations

import io
import struct
import zipfile
from xml.sax.saxutils import escape

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def docx(paragraphs: list[tuple[int, str]]) -> bytes:
    """A minimal DOCX; level > 0 makes the paragraph a 'HeadingN'."""
    body = ""
    for level, text in paragraphs:
        style = f'<w:pPr><w:pStyle w:val="Heading{level}"/></w:pPr>' if level else ""
        body += f"<w:p>{style}<w:r><w:t>{escape(text)}</w:t></w:r></w:p>"
    xml = f'<?xml version="1.0"?><w:document xmlns:w="{_W}"><w:body>{body}</w:body></w:document>'
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", xml)
    return out.getvalue()


def odt() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
    return out.getvalue()


def zip_file() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("readme.txt", "not a document")
    return out.getvalue()


def zip_bomb_docx() -> bytes:
    """A DOCX-shaped archive whose document expands a thousandfold."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", b"\0" * (20 * 1024 * 1024))
    return out.getvalue()


def docx_with_macros() -> bytes:
    """A DOCX carrying a VBA project, as a .docm renamed to .docx would."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            "<Types><Override ContentType="
            '"application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>',
        )
        z.writestr("word/document.xml", "<w:document/>")
        z.writestr("word/vbaProject.bin", b"\xd0\xcf\x11\xe0 macro")
    return out.getvalue()


def odt_with_basic() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.text")
        z.writestr("content.xml", "<office:document-content/>")
        z.writestr("Basic/Standard/Module1.xml", "<script:module/>")
    return out.getvalue()


def _package(parts: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return out.getvalue()


def _patch_member(data: bytes, name: str, local: dict[int, tuple[str, int]]) -> bytes:
    """``data`` with fields of ``name``'s local header and central directory entry overwritten:
    ``local`` maps a local-header offset to (struct format, value); the central directory
    entry gets the same fields at their own offsets."""
    central_offsets = {6: 8, 22: 24}  # general-purpose flags, uncompressed size
    patched = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        info = z.getinfo(name)
    encoded = name.encode()
    entry = data.find(b"PK\x01\x02")
    while data[entry + 46 : entry + 46 + len(encoded)] != encoded:
        entry = data.find(b"PK\x01\x02", entry + 1)
        assert entry > 0, name
    for offset, (fmt, value) in local.items():
        struct.pack_into(fmt, patched, info.header_offset + offset, value)
        struct.pack_into(fmt, patched, entry + central_offsets[offset], value)
    return bytes(patched)


def docx_with_document_xml(xml: bytes) -> bytes:
    """A DOCX whose word/document.xml is exactly ``xml``."""
    return _package({"[Content_Types].xml": b"<Types/>", "word/document.xml": xml})


def encrypted_docx() -> bytes:
    """A DOCX whose parts are flagged as encrypted (ZIP traditional encryption)."""
    document = docx([(1, "Статья 1")])
    for name in ("[Content_Types].xml", "word/document.xml"):
        document = _patch_member(document, name, {6: ("<H", 0x1)})
    return document


def lying_docx(part: str, unpacked: int) -> bytes:
    """A DOCX whose ``part`` unpacks to ``unpacked`` bytes but whose headers say 100."""
    parts = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    parts[part] = b"<a>" + b" " * unpacked + b"</a>"
    return _patch_member(_package(parts), part, {22: ("<I", 100)})


def bzip2_docx() -> bytes:
    """A DOCX packed with bzip2, which no word processor writes."""
    return _package(
        {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"},
        zipfile.ZIP_BZIP2,
    )


def utf16_macro_docx() -> bytes:
    """A DOCX whose [Content_Types].xml, in UTF-16, declares a macro-enabled main part."""
    types = (
        '<?xml version="1.0" encoding="UTF-16"?><Types><Override PartName="/word/document.xml" '
        'ContentType="application/vnd.ms-word.document.macroEnabled.main+xml"/></Types>'
    )
    return _package(
        {"[Content_Types].xml": types.encode("utf-16"), "word/document.xml": b"<w:document/>"}
    )
