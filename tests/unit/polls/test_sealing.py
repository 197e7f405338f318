"""Sealed receipts open only in their own row, and voter tags are per poll."""

from __future__ import annotations

import datetime as dt

import pytest

from services.polls.casting.sealing import SealedReceipt, open_seal, seal
from services.polls.service_secret import ServiceSecret

SECRET = ServiceSecret(b"k" * 32)
RECEIPT = SealedReceipt(
    entry_hash=b"h" * 32, accepted_at=dt.datetime(2026, 6, 1, tzinfo=dt.UTC), idempotency_key="x"
)


def test_a_seal_opens_in_its_row() -> None:
    assert open_seal(SECRET, "p1", "tag", seal(SECRET, "p1", "tag", RECEIPT)) == RECEIPT


@pytest.mark.parametrize(("poll", "tag"), [("p2", "tag"), ("p1", "other")])
def test_a_seal_moved_to_another_row_does_not_open(poll: str, tag: str) -> None:
    with pytest.raises(ValueError, match="does not open"):
        open_seal(SECRET, poll, tag, seal(SECRET, "p1", "tag", RECEIPT))


def test_a_flipped_bit_is_refused() -> None:
    sealed = bytearray(seal(SECRET, "p1", "tag", RECEIPT))
    sealed[-1] ^= 1
    with pytest.raises(ValueError, match="does not open"):
        open_seal(SECRET, "p1", "tag", bytes(sealed))


def test_voter_tags_differ_between_polls_and_secrets() -> None:
    assert SECRET.voter_tag("p1", "sub") == SECRET.voter_tag("p1", "sub")
    assert SECRET.voter_tag("p1", "sub") != SECRET.voter_tag("p2", "sub")
    assert ServiceSecret(b"j" * 32).voter_tag("p1", "sub") != SECRET.voter_tag("p1", "sub")
