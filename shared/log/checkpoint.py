"""C2SP tlog checkpoints (https://c2sp.org/tlog-checkpoint), signed as C2SP notes.

Body, every line ending in ``\\n``::

    <origin>
    <tree size, decimal, no leading zeros>
    <root hash, standard base64 of 32 bytes>
    [extension lines, each non-empty]
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Iterable
from dataclasses import dataclass

from shared.log.merkle import HASH_SIZE
from shared.log.note import Note, NoteError, Signer, Verifier, open_note, sign_note

__all__ = (
    "Checkpoint",
    "CheckpointError",
    "open_checkpoint",
    "parse_checkpoint",
    "sign_checkpoint",
)

_MAX_SIZE = (1 << 64) - 1


class CheckpointError(NoteError):
    """A checkpoint body is malformed or is not the checkpoint that was expected."""


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A signed statement of a log's size and root hash."""

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CheckpointError("checkpoint origin must be one non-empty line")
        if not 0 <= self.size <= _MAX_SIZE:
            raise CheckpointError(f"checkpoint size {self.size} outside 0..2^64-1")
        if len(self.root) != HASH_SIZE:
            raise CheckpointError(f"root hash has {len(self.root)} bytes, want {HASH_SIZE}")
        for ext in self.extensions:
            if not ext or "\n" in ext:
                raise CheckpointError("checkpoint extension lines must be non-empty lines")

    def body(self) -> str:
        """The checkpoint text that gets signed."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode()]
        lines.extend(self.extensions)
        return "\n".join(lines) + "\n"


def parse_checkpoint(body: str) -> Checkpoint:
    """Parse a checkpoint body strictly.

    Raises:
        CheckpointError: saying which line is wrong and why.
    """
    if not body.endswith("\n"):
        raise CheckpointError("checkpoint body must end with a newline")
    lines = body[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError(f"checkpoint has {len(lines)} lines, want at least 3")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointError("checkpoint origin line is empty")
    if not size_text.isascii() or not size_text.isdigit():
        raise CheckpointError(f"checkpoint size {size_text!r} is not a decimal number")
    if len(size_text) > 1 and size_text[0] == "0":
        raise CheckpointError(f"checkpoint size {size_text!r} has a leading zero")
    size = int(size_text)
    if size > _MAX_SIZE:
        raise CheckpointError(f"checkpoint size {size_text} exceeds 2^64-1")
    try:
        root = base64.b64decode(root_text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CheckpointError(f"checkpoint root hash {root_text!r} is not valid base64") from None
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"checkpoint root hash has {len(root)} bytes, want {HASH_SIZE}")
    if base64.b64encode(root).decode() != root_text:
        raise CheckpointError(f"checkpoint root hash {root_text!r} is not canonical base64")
    for n, ext in enumerate(extensions, start=4):
        if not ext:
            raise CheckpointError(f"checkpoint line {n} (extension) is empty")
    return Checkpoint(origin, size, root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, *signers: Signer) -> str:
    """The checkpoint as a signed note."""
    return sign_note(checkpoint.body(), *signers)


def open_checkpoint(
    note: str | bytes, known: Iterable[Verifier], *, origin: str | None = None
) -> tuple[Checkpoint, Note]:
    """Verify a signed checkpoint and parse its body.

    Args:
        origin: if given, the checkpoint must be for this log.

    Raises:
        NoteError: the note is malformed or not validly signed by a known key.
        CheckpointError: the body is malformed or has another origin.
    """
    opened = open_note(note, known)
    checkpoint = parse_checkpoint(opened.text)
    if origin is not None and checkpoint.origin != origin:
        raise CheckpointError(f"checkpoint is for log {checkpoint.origin!r}, expected {origin!r}")
    return checkpoint, opened
