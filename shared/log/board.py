"""The board: one downloadable file holding everything needed to audit a log offline.

Format ``vmeste-board/v1`` is JSON Lines: UTF-8, one JSON object per line, each line ending in
``\\n``, every object tagged by its ``type`` member. Records come in this order, so a verifier
can check everything in one streaming pass with memory independent of the log's length:

1. one ``header``: ``format`` (``"vmeste-board/v1"``), ``origin`` (the log's checkpoint
   origin), ``log_kind`` (e.g. ``"poll"``, ``"comment-period"``), ``size`` (number of entries
   on the board), ``verifier_keys`` (signed-note verifier key strings, active key first) and
   ``definition`` (base64; e.g. the poll's frozen questions, opaque to the logs) and, for a
   log closed without a result (a cancelled poll), ``cancellation``: its public ``reason`` and
   the ``size`` its final signed checkpoint covers;
2. zero or more ``checkpoint``: ``note``, a signed checkpoint exactly as served, in the order
   the service issued them;
3. at most one ``certificate``: ``note``, the signed tally certificate, and ``results``
   (base64), the certified results document;
4. ``entries`` records: ``start`` (index of the first entry in the record) and ``entries``
   (base64 of each entry's bytes), consecutive, in index order, at most
   :data:`MAX_CHUNK` entries per record.

Readers ignore members they do not know (later minor additions); a new incompatible layout
gets a new ``format`` string.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import BinaryIO

import msgspec

__all__ = (
    "BOARD_FORMAT",
    "DEFAULT_CHUNK",
    "MAX_CHUNK",
    "BoardCancellation",
    "BoardCertificate",
    "BoardCheckpoint",
    "BoardEntries",
    "BoardFormatError",
    "BoardHeader",
    "BoardRecord",
    "read_board",
    "stream_board",
    "thin_checkpoints",
    "write_board",
)

BOARD_FORMAT = "vmeste-board/v1"
DEFAULT_CHUNK = 1024
MAX_CHUNK = 65536


class BoardFormatError(ValueError):
    """The board file is not a well-formed ``vmeste-board/v1`` file; names the line."""

    def __init__(self, line: int, why: str) -> None:
        super().__init__(f"board line {line}: {why}")
        self.line = line


class BoardCancellation(msgspec.Struct, frozen=True, kw_only=True):
    """Why a log was closed without a result, and the size it was sealed at: its final signed
    checkpoint covers exactly ``size`` entries and no tally certificate follows."""

    reason: str
    size: int


class BoardHeader(msgspec.Struct, frozen=True, kw_only=True, tag="header", tag_field="type"):
    """First record: what log this is and the keys to check it with."""

    format: str = BOARD_FORMAT
    origin: str
    log_kind: str
    size: int
    verifier_keys: tuple[str, ...]
    definition: bytes = b""
    cancellation: BoardCancellation | None = None


class BoardCheckpoint(msgspec.Struct, frozen=True, tag="checkpoint", tag_field="type"):
    """One signed checkpoint note."""

    note: str


class BoardCertificate(msgspec.Struct, frozen=True, tag="certificate", tag_field="type"):
    """The signed tally certificate note and the results document it certifies."""

    note: str
    results: bytes


class BoardEntries(msgspec.Struct, frozen=True, tag="entries", tag_field="type"):
    """A run of consecutive entries starting at index ``start``."""

    start: int
    entries: list[bytes]


BoardRecord = BoardHeader | BoardCheckpoint | BoardCertificate | BoardEntries

_ENCODER = msgspec.json.Encoder()
_DECODER = msgspec.json.Decoder(BoardRecord)


def _opening(
    header: BoardHeader, checkpoints: Iterable[str], certificate: BoardCertificate | None
) -> Iterator[bytes]:
    """The lines before the entries: header, checkpoints, certificate."""
    yield _ENCODER.encode(header) + b"\n"
    for note in checkpoints:
        yield _ENCODER.encode(BoardCheckpoint(note)) + b"\n"
    if certificate is not None:
        yield _ENCODER.encode(certificate) + b"\n"


def _entries_line(start: int, entries: list[bytes]) -> bytes:
    return _ENCODER.encode(BoardEntries(start, entries)) + b"\n"


def write_board(
    out: BinaryIO,
    header: BoardHeader,
    checkpoints: Iterable[str],
    certificate: BoardCertificate | None,
    entries: Iterable[bytes],
    *,
    chunk: int = DEFAULT_CHUNK,
) -> int:
    """Stream a board to ``out``; return the number of entries written.

    Raises:
        ValueError: ``entries`` did not yield exactly ``header.size`` entries (the file
            written is then incomplete and must be discarded).
    """
    if not 0 < chunk <= MAX_CHUNK:
        raise ValueError(f"chunk must be 1..{MAX_CHUNK}")
    write = out.write
    for line in _opening(header, checkpoints, certificate):
        write(line)
    written = 0
    batch: list[bytes] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) == chunk:
            write(_entries_line(written, batch))
            written += len(batch)
            batch = []
    if batch:
        write(_entries_line(written, batch))
        written += len(batch)
    if written != header.size:
        raise ValueError(f"board header says {header.size} entries, {written} were given")
    return written


async def stream_board(
    header: BoardHeader,
    checkpoints: Iterable[str],
    certificate: BoardCertificate | None,
    read: Callable[[int, int], Awaitable[list[bytes]]],
) -> AsyncIterator[bytes]:
    """The board's lines, the entries read as they are sent: ``read(start, end)`` gives those
    with indices in ``[start, end)``, :data:`DEFAULT_CHUNK` at a time, up to ``header.size``.
    The same bytes as :func:`write_board` with its default chunk."""
    for line in _opening(header, checkpoints, certificate):
        yield line
    for start in range(0, header.size, DEFAULT_CHUNK):
        yield _entries_line(start, await read(start, min(start + DEFAULT_CHUNK, header.size)))


def thin_checkpoints(rows: list[tuple[int, str, dt.datetime]]) -> list[str]:
    """Of ``(size, note, signed at)`` rows, the notes the board keeps: the last checkpoint of
    every minute, plus the final one.

    A log checkpointed every second for days would put hundreds of thousands of signatures
    on the board; one a minute keeps the audit fast while still tying the board to the
    history every observer saw. Any other checkpoint can be checked against the board with
    a consistency proof.
    """
    kept: list[str] = []
    for n, (_, note, signed_at) in enumerate(rows):
        last = n + 1 == len(rows)
        if last or signed_at.replace(second=0, microsecond=0) != rows[n + 1][2].replace(
            second=0, microsecond=0
        ):
            kept.append(note)
    return kept


def read_board(lines: Iterable[bytes]) -> Iterator[tuple[int, BoardRecord]]:
    """Decode board lines one by one into ``(line number, record)``.

    Raises:
        BoardFormatError: a line is not a valid record (naming the line).
    """
    for number, line in enumerate(lines, start=1):
        try:
            record = _DECODER.decode(line)
        except msgspec.DecodeError as exc:
            raise BoardFormatError(number, str(exc)) from None
        if isinstance(record, BoardEntries) and len(record.entries) > MAX_CHUNK:
            raise BoardFormatError(number, f"more than {MAX_CHUNK} entries in one record")
        yield number, record
