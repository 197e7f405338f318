"""ZIP document packages (DOCX, ODT) read with every expansion bounded by the bytes actually
unpacked, never by the sizes the headers declare.

A header states each part's size, but nothing makes it true, and ``zipfile`` unpacks a whole
read at once: ``read()`` of a part whose header says 100 bytes can unpack a thousand times the
upload into memory before its CRC check notices. Parts are therefore read in small steps, the
steps counted against a cap per part and one per package. Only stored and deflated parts (all
a word processor writes) are read: bzip2 and LZMA unpack a whole step's input at once, so
their steps are not bounded. Whatever ``zipfile`` raises on a damaged archive becomes a
refusal the caller can act on, never a crash.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from services.discussions.errors import TooLargeError, UnprocessableError, UnsupportedError

__all__ = ("MAX_MEMBERS", "MAX_RATIO", "MAX_UNPACKED_BYTES", "Package", "open_package")

MAX_MEMBERS = 2000
"""Parts one package may have."""
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
"""Most bytes read out of one package, whatever it declares."""
MAX_RATIO = 100
"""Most bytes read out of a package per byte of the package."""
_STEP = 64 * 1024
_ENCRYPTED = 0x1
_READABLE = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED)
# Besides BadZipFile, a truncated or inconsistent archive surfaces from inside zipfile as
# these (a negative seek, a short struct, a broken deflate stream, a name not in UTF-8, ...).
_DAMAGED = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    EOFError,
    IndexError,
    OSError,
    ValueError,
    struct.error,
    zlib.error,
)


def _damaged(why: object) -> UnprocessableError:
    return UnprocessableError(
        "damaged-document",
        "Damaged document",
        f"The document package is damaged ({why}); save it again and upload the new file.",
    )


def _encrypted() -> UnsupportedError:
    return UnsupportedError(
        "encrypted-document",
        "Encrypted document",
        "The document is protected with a password; save it without one and upload it again.",
    )


def _unsupported(why: object) -> UnsupportedError:
    return UnsupportedError(
        "unsupported-package",
        "Unsupported document package",
        f"The document package uses a format word processors do not write ({why}); save it "
        "again from a word processor.",
    )


def _too_large(what: str, limit: int) -> TooLargeError:
    return TooLargeError(
        "document-expands-too-far",
        "Document expands too far",
        f"{what} unpacks to more than {limit} bytes; split the document or remove large "
        "embedded files.",
    )


class Package:
    """An open package whose reads are bounded; get one from :func:`open_package`."""

    def __init__(self, archive: zipfile.ZipFile, budget: int) -> None:
        self._archive = archive
        self._left = budget
        self.members = tuple(archive.infolist())
        self.names = frozenset(m.filename for m in self.members)

    def read(self, name: str, limit: int) -> bytes:
        """The bytes of part ``name`` (which must exist), refused past ``limit`` bytes or
        past what is left of the package's budget."""
        cap = min(limit, self._left)
        info = self._archive.getinfo(name)
        if info.file_size > cap:
            raise _too_large(name, cap)
        chunks: list[bytes] = []
        got = 0
        try:
            with self._archive.open(info) as part:
                while chunk := part.read(_STEP):
                    got += len(chunk)
                    if got > cap:
                        raise _too_large(name, cap)
                    chunks.append(chunk)
        except RuntimeError:
            # zipfile's word for "encrypted, password required".
            raise _encrypted() from None
        except NotImplementedError as exc:
            raise _unsupported(exc) from None
        except _DAMAGED as exc:
            raise _damaged(exc) from None
        if got != info.file_size:
            raise _damaged(f"{name} unpacks to {got} bytes, its header says {info.file_size}")
        self._left -= got
        return b"".join(chunks)


@contextmanager
def open_package(data: bytes) -> Iterator[Package]:
    """The package in ``data`` after checking what its directory says: how many parts, none
    encrypted, only stored or deflated ones, and declared sizes within the budget."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except NotImplementedError as exc:
        raise _unsupported(exc) from None
    except _DAMAGED as exc:
        raise _damaged(exc) from None
    with archive:
        members = archive.infolist()
        if len(members) > MAX_MEMBERS:
            raise TooLargeError(
                "too-many-parts",
                "Too many parts",
                f"The document package has more than {MAX_MEMBERS} parts.",
            )
        if any(m.flag_bits & _ENCRYPTED for m in members):
            raise _encrypted()
        odd = sorted({m.compress_type for m in members} - set(_READABLE))
        if odd:
            raise _unsupported(f"compression method {odd[0]}")
        budget = min(MAX_UNPACKED_BYTES, MAX_RATIO * len(data))
        if sum(m.file_size for m in members) > budget:
            raise _too_large("The document package", budget)
        yield Package(archive, budget)
