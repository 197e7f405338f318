"""Sealing a ballot for the pool: encrypted, padded to one length per poll, looked up by code.

A pooled ballot sits in the database next to its participation row (same transaction), so
anything that tells the rows apart would tell the ballots apart once they reach the log. The
seal leaves nothing:

* the entry is encrypted with AES-256-GCM under a key derived from the service secret and the
  poll (never stored in a database), with the poll and the row id as associated data, so a
  row's ballot cannot be moved to another row or poll;
* every ballot of a poll is padded to the same length, :func:`padded_length` of the poll's
  definition (an upper bound of any valid entry's canonical bytes), so the ciphertext's length
  says nothing of the answers;
* the only other column is a keyed hash of the tracking code, so "check my ballot" finds a
  pooled ballot without the database holding its entry hash.
"""

from __future__ import annotations

import hmac
import uuid

from services.polls.casting.boxes import close_box, open_box
from services.polls.service_secret import ServiceSecret
from shared.tally.definition import (
    Cumulative,
    FreeText,
    MultipleChoice,
    PollDefinition,
    ProjectVote,
    Question,
    Ranking,
    Scale,
    SingleChoice,
)

__all__ = ("code_lookup", "open_pooled", "padded_length", "seal_pooled")

_PAD_MARK = b"\x80"
"""ISO/IEC 7816-4 padding: the entry, one 0x80 byte, then zeros (the entry is JSON, so it never
ends in 0x80 itself, and the last 0x80 marks where it ends)."""

_ENVELOPE = 128
"""Bytes of an entry besides its answers: ``{"answers":{},"nonce":"<32 hex>","poll":"<id>",
"v":1}`` is 61 bytes plus the poll id (at most 64); the rest is slack."""
_JSON_CHAR = 6
"""The most bytes one character of a string takes in canonical JSON (``\\u001f``)."""


def _answer_bound(question: Question) -> int:
    """An upper bound of the canonical bytes of any valid answer to ``question``."""
    match question:
        case SingleChoice(options=options):
            return max(len(o.id) for o in options) + 2
        case MultipleChoice(options=options) | Ranking(options=options):
            return sum(len(o.id) + 3 for o in options) + 2
        case Scale():
            return 5  # "-1000"
        case FreeText(max_length=limit):
            return limit * _JSON_CHAR + 2
        case ProjectVote(projects=projects, ballot_kind=Cumulative()):
            return sum(len(p.id) + 8 for p in projects) + 2  # "id":1000,
        case ProjectVote(projects=projects):
            return sum(len(p.id) + 3 for p in projects) + 2
    raise TypeError(f"no size bound for {type(question).__name__}")  # pragma: no cover


def padded_length(definition: PollDefinition) -> int:
    """The length every pooled ballot of this poll is padded to, in 64-byte steps."""
    answers = sum(len(q.id) + 4 + _answer_bound(q) for q in definition.questions)
    bound = _ENVELOPE + answers + len(_PAD_MARK)
    return -(-bound // 64) * 64


def _pad(entry: bytes, length: int) -> bytes:
    if len(entry) + len(_PAD_MARK) > length:
        # Cannot happen for an entry valid against the definition the length came from.
        raise ValueError(f"entry of {len(entry)} bytes exceeds the poll's bound of {length}")
    return entry + _PAD_MARK + bytes(length - len(entry) - len(_PAD_MARK))


def _unpad(padded: bytes) -> bytes:
    end = padded.rstrip(b"\x00")
    if not end.endswith(_PAD_MARK):
        raise ValueError("pooled ballot padding is malformed")
    return end[: -len(_PAD_MARK)]


def _aad(poll_id: str, row_id: uuid.UUID) -> bytes:
    return f"vmeste/polls/pool/v1\n{poll_id}\n{row_id}".encode()


def seal_pooled(
    secret: ServiceSecret, poll_id: str, row_id: uuid.UUID, entry: bytes, length: int
) -> bytes:
    """The pool row's ``sealed`` column: version, nonce, AES-GCM of the padded entry."""
    return close_box(secret.pool_key(poll_id), _pad(entry, length), _aad(poll_id, row_id))


def open_pooled(secret: ServiceSecret, poll_id: str, row_id: uuid.UUID, sealed: bytes) -> bytes:
    """The entry bytes of a pool row; raises ValueError if the row was altered or moved."""
    key, aad = secret.pool_key(poll_id), _aad(poll_id, row_id)
    return _unpad(open_box(key, sealed, aad, "pooled ballot"))


def code_lookup(secret: ServiceSecret, poll_id: str, tracking_code: str) -> bytes:
    """Keyed hash of a (canonical) tracking code: finds a pooled ballot by its code, and
    without the secret it tells nothing about the entry."""
    message = b"tracking-code\x00" + tracking_code.encode()
    return hmac.digest(secret.pool_key(poll_id), message, "sha256")[:16]
