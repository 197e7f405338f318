"""Receipts and tracking codes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.log.merkle import leaf_hash
from shared.log.note import InvalidSignatureError, Signer, UnverifiedNoteError
from shared.log.receipt import (
    Receipt,
    ReceiptError,
    issue_receipt,
    normalize_tracking_code,
    parse_receipt,
    tracking_code,
    tracking_code_matches,
    tracking_code_range,
    verify_receipt,
)

ORIGIN = "vmeste.example/polls/7"
AT = datetime(2025, 11, 25, 14, 3, 7, tzinfo=UTC)
ENTRY = leaf_hash(b'{"v":1}')


def test_receipt_body_has_four_fixed_lines() -> None:
    body = Receipt(ORIGIN, ENTRY, AT).body()
    assert body == f"vmeste/receipt/v1\n{ORIGIN}\n{ENTRY.hex()}\n2025-11-25T14:03:07Z\n"
    assert parse_receipt(body) == Receipt(ORIGIN, ENTRY, AT)


def test_accepted_at_is_written_in_utc_to_the_second() -> None:
    local = AT.astimezone(timezone(timedelta(hours=3))).replace(microsecond=999)
    assert "2025-11-25T14:03:07Z" in Receipt(ORIGIN, ENTRY, local).body()


def test_issued_receipt_verifies_with_only_the_public_key() -> None:
    signer = Signer.generate("vmeste.example/polls")
    note = issue_receipt(Receipt(ORIGIN, ENTRY, AT), signer)
    receipt, opened = verify_receipt(note, [signer.verifier], origin=ORIGIN)
    assert receipt.entry_hash == ENTRY
    assert opened.sigs[0].key_id == signer.key_id


def test_forged_receipt_is_refused() -> None:
    signer = Signer.generate("vmeste.example/polls")
    note = issue_receipt(Receipt(ORIGIN, ENTRY, AT), signer)
    other = leaf_hash(b"other")
    with pytest.raises(InvalidSignatureError):
        verify_receipt(note.replace(ENTRY.hex(), other.hex()), [signer.verifier])
    with pytest.raises(UnverifiedNoteError):
        verify_receipt(note, [Signer.generate("vmeste.example/polls").verifier])


def test_receipt_for_another_log_is_refused() -> None:
    signer = Signer.generate("k")
    note = issue_receipt(Receipt("elsewhere", ENTRY, AT), signer)
    with pytest.raises(ReceiptError, match="is for log 'elsewhere'"):
        verify_receipt(note, [signer.verifier], origin=ORIGIN)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (f"vmeste/receipt/v2\n{ORIGIN}\n{ENTRY.hex()}\n2025-11-25T14:03:07Z\n", "header"),
        (f"vmeste/receipt/v1\n{ORIGIN}\n{ENTRY.hex()}\n2025-11-25T14:03:07Z", "exactly 4"),
        (f"vmeste/receipt/v1\n\n{ENTRY.hex()}\n2025-11-25T14:03:07Z\n", "origin line is empty"),
        (f"vmeste/receipt/v1\n{ORIGIN}\n{ENTRY.hex()[:-2]}\n2025-11-25T14:03:07Z\n", "64 lower"),
        (f"vmeste/receipt/v1\n{ORIGIN}\n{ENTRY.hex().upper()}\n2025-11-25T14:03:07Z\n", "64 lower"),
        (f"vmeste/receipt/v1\n{ORIGIN}\n{ENTRY.hex()}\n2025-11-25 14:03:07\n", "not YYYY"),
        (f"vmeste/receipt/v1\n{ORIGIN}\n{ENTRY.hex()}\n2025-11-25T14:03:07.5Z\n", "not YYYY"),
        (f"vmeste/receipt/v1\n{ORIGIN}\n{ENTRY.hex()}\n2025-02-30T14:03:07Z\n", "not a valid"),
    ],
)
def test_malformed_receipts_are_refused_precisely(body: str, why: str) -> None:
    with pytest.raises(ReceiptError, match=why):
        parse_receipt(body)


def test_naive_time_is_refused() -> None:
    with pytest.raises(ReceiptError, match="timezone-aware"):
        Receipt(ORIGIN, ENTRY, datetime(2025, 1, 1)).body()


def test_tracking_code_is_ten_crockford_chars_grouped() -> None:
    code = tracking_code(bytes(32))
    assert code == "0000-0000-00"
    code = tracking_code(b"\xff" * 32)
    assert code == "ZZZZ-ZZZZ-ZZ"
    code = tracking_code(ENTRY)
    assert len(code) == 12
    assert code[4] == code[9] == "-"
    assert set(code.replace("-", "")) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")


def test_tracking_code_typed_loosely_is_normalised() -> None:
    code = tracking_code(ENTRY)
    typed = code.lower().replace("-", " ").replace("1", "l").replace("0", "o")
    assert normalize_tracking_code(typed) == code


def test_tracking_code_range_finds_exactly_the_prefix() -> None:
    code = tracking_code(ENTRY)
    low, high = tracking_code_range(code)
    assert low <= ENTRY <= high
    assert tracking_code_matches(code, ENTRY)
    assert tracking_code(low) == tracking_code(high) == code
    others = [hashlib.sha256(bytes([i])).digest() for i in range(200)]
    assert not any(tracking_code_matches(code, h) for h in others if h != ENTRY)


@pytest.mark.parametrize(("code", "why"), [("ABCD-EFGH", "10 characters"), ("ABCD-EFGH-U1", "'U'")])
def test_malformed_tracking_codes_are_refused(code: str, why: str) -> None:
    with pytest.raises(ReceiptError, match=why):
        tracking_code_range(code)
