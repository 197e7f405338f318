"""Receipts: the service's signed word that it accepted an entry into a log.

A receipt is a C2SP signed note whose text is exactly four lines::

    vmeste/receipt/v1
    <log origin>
    <entry hash: 64 lowercase hex digits>
    <accepted at: UTC, RFC 3339 to the second, e.g. 2025-11-25T14:03:07Z>

The entry hash is the RFC 9162 **leaf hash** ``SHA-256(0x00 ‖ entry bytes)``, so it is directly
the key for an inclusion proof. Hex (not base64) because people read, copy and search for it.

The tracking code is the first 50 bits of the entry hash in Crockford base32, 10 characters
grouped ``XXXX-XXXX-XX``; it is short enough to read over the phone and, with a million
entries, collides with another entry's code with probability below 1/2000, so lookups by code
return a (tiny) list of candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.log.merkle import HASH_SIZE
from shared.log.note import Note, NoteError, Signer, Verifier, open_note, sign_note
from shared.log.seconds import format_utc_seconds, parse_utc_seconds

__all__ = (
    "RECEIPT_HEADER",
    "TRACKING_CODE_BITS",
    "Receipt",
    "ReceiptError",
    "issue_receipt",
    "normalize_tracking_code",
    "parse_receipt",
    "tracking_code",
    "tracking_code_matches",
    "tracking_code_range",
    "verify_receipt",
)

RECEIPT_HEADER = "vmeste/receipt/v1"
TRACKING_CODE_BITS = 50
_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32: no I, L, O, U
_DECODE = {c: i for i, c in enumerate(_ALPHABET)} | {"I": 1, "L": 1, "O": 0}
_HEX64 = re.compile(r"[0-9a-f]{64}")


class ReceiptError(NoteError):
    """A receipt or tracking code is malformed or does not match what was expected."""


def _format_time(at: datetime) -> str:
    if at.tzinfo is None:
        raise ReceiptError("accepted-at must be timezone-aware")
    return format_utc_seconds(at)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a receipt states: this entry was accepted into this log at this time."""

    origin: str
    entry_hash: bytes
    accepted_at: datetime

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise ReceiptError("receipt origin must be one non-empty line")
        if len(self.entry_hash) != HASH_SIZE:
            raise ReceiptError(f"entry hash has {len(self.entry_hash)} bytes, want {HASH_SIZE}")

    def body(self) -> str:
        """The receipt text that gets signed."""
        return (
            f"{RECEIPT_HEADER}\n{self.origin}\n{self.entry_hash.hex()}\n"
            f"{_format_time(self.accepted_at)}\n"
        )

    @property
    def tracking_code(self) -> str:
        """Short code for people, derived from the entry hash."""
        return tracking_code(self.entry_hash)


def parse_receipt(body: str) -> Receipt:
    """Parse a receipt body strictly.

    Raises:
        ReceiptError: saying which line is wrong.
    """
    lines = body.split("\n")
    if len(lines) != 5 or lines[4] != "":
        raise ReceiptError("receipt body must be exactly 4 lines, each ending in a newline")
    header, origin, entry_hex, at_text, _ = lines
    if header != RECEIPT_HEADER:
        raise ReceiptError(f"receipt header is {header!r}, want {RECEIPT_HEADER!r}")
    if not origin:
        raise ReceiptError("receipt origin line is empty")
    if not _HEX64.fullmatch(entry_hex):
        raise ReceiptError("receipt entry hash must be 64 lowercase hex digits")
    at = parse_utc_seconds(at_text, "receipt time", ReceiptError)
    return Receipt(origin, bytes.fromhex(entry_hex), at)


def issue_receipt(receipt: Receipt, *signers: Signer) -> str:
    """The receipt as a signed note, to hand to the voter or commenter."""
    return sign_note(receipt.body(), *signers)


def verify_receipt(
    note: str | bytes, known: Iterable[Verifier], *, origin: str | None = None
) -> tuple[Receipt, Note]:
    """Check a receipt's signature with the published keys and parse it.

    Raises:
        NoteError: bad or missing signature, or a malformed note.
        ReceiptError: malformed body, or a receipt for another log than ``origin``.
    """
    opened = open_note(note, known)
    receipt = parse_receipt(opened.text)
    if origin is not None and receipt.origin != origin:
        raise ReceiptError(f"receipt is for log {receipt.origin!r}, expected {origin!r}")
    return receipt, opened


def tracking_code(entry_hash: bytes) -> str:
    """``XXXX-XXXX-XX`` code of the first 50 bits of ``entry_hash``."""
    if len(entry_hash) != HASH_SIZE:
        raise ReceiptError(f"entry hash has {len(entry_hash)} bytes, want {HASH_SIZE}")
    value = int.from_bytes(entry_hash[:7], "big") >> (56 - TRACKING_CODE_BITS)
    chars = "".join(_ALPHABET[(value >> (5 * (9 - i))) & 31] for i in range(10))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def _code_value(code: str) -> int:
    cleaned = code.replace("-", "").replace(" ", "").upper()
    if len(cleaned) != 10:
        raise ReceiptError(f"tracking code {code!r} must have 10 characters besides dashes")
    value = 0
    for ch in cleaned:
        digit = _DECODE.get(ch)
        if digit is None:
            raise ReceiptError(f"tracking code {code!r} has invalid character {ch!r}")
        value = value << 5 | digit
    return value


def normalize_tracking_code(code: str) -> str:
    """Canonical ``XXXX-XXXX-XX`` form of a code typed by a person (case, dashes, spaces,
    and the look-alikes I, L → 1 and O → 0 forgiven)."""
    value = _code_value(code)
    chars = "".join(_ALPHABET[(value >> (5 * (9 - i))) & 31] for i in range(10))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def tracking_code_range(code: str) -> tuple[bytes, bytes]:
    """Smallest and largest 32-byte entry hash with this code, for an indexed range query
    (``entry_hash BETWEEN low AND high``)."""
    prefix = _code_value(code)
    free = HASH_SIZE * 8 - TRACKING_CODE_BITS
    low = (prefix << free).to_bytes(HASH_SIZE, "big")
    high = ((prefix << free) | ((1 << free) - 1)).to_bytes(HASH_SIZE, "big")
    return low, high


def tracking_code_matches(code: str, entry_hash: bytes) -> bool:
    """Whether ``entry_hash`` has the tracking ``code``."""
    low, high = tracking_code_range(code)
    return low <= entry_hash <= high
