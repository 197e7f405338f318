"""The add-checkpoint body is parsed strictly, as C2SP tlog-witness defines it."""

from __future__ import annotations

import base64

import pytest

from services.witness.cosigning.domain import (
    MAX_PROOF_LINES,
    AddCheckpointError,
    parse_add_checkpoint,
)

HASHES = [bytes([n]) * 32 for n in range(64)]
NOTE = "example.com/log\n3\n" + base64.b64encode(bytes(32)).decode() + "\n\n— log AAAA\n"


def _lines(hashes: list[bytes]) -> str:
    return "".join(base64.b64encode(h).decode() + "\n" for h in hashes)


def test_a_request_with_a_proof_parses() -> None:
    parsed = parse_add_checkpoint(f"old 2\n{_lines(HASHES[:3])}\n{NOTE}".encode())
    assert parsed.old_size == 2
    assert parsed.proof == tuple(HASHES[:3])
    assert parsed.note == NOTE


def test_old_size_zero_and_the_largest_size_parse() -> None:
    assert parse_add_checkpoint(f"old 0\n\n{NOTE}".encode()).old_size == 0
    largest = parse_add_checkpoint(f"old {2**64 - 1}\n\n{NOTE}".encode())
    assert largest.old_size == 2**64 - 1


def test_at_most_63_proof_lines() -> None:
    body = f"old 1\n{_lines(HASHES[:MAX_PROOF_LINES])}\n{NOTE}"
    assert len(parse_add_checkpoint(body.encode()).proof) == 63
    with pytest.raises(AddCheckpointError) as caught:
        parse_add_checkpoint(f"old 1\n{_lines(HASHES[:64])}\n{NOTE}".encode())
    assert caught.value.status == 400


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"old 0",
        b"old 0\n",
        b"old 0\r\n\r\n" + NOTE.encode(),
        b"old 00\n\n" + NOTE.encode(),
        b"old +1\n\n" + NOTE.encode(),
        b"old \xd9\xa3\n\n" + NOTE.encode(),  # an Arabic-Indic digit three
        b"old 1\n" + base64.b64encode(bytes(32)).rstrip(b"=") + b"\n\n" + NOTE.encode(),
        b"old 1\n" + base64.b64encode(bytes(33)) + b"\n\n" + NOTE.encode(),
        b"old 1\n" + base64.b64encode(bytes(32)) + b" \n\n" + NOTE.encode(),
        b"\nold 0\n\n" + NOTE.encode(),
        b"old 0\n\n",
    ],
)
def test_a_malformed_body_is_a_400(body: bytes) -> None:
    with pytest.raises(AddCheckpointError) as caught:
        parse_add_checkpoint(body)
    assert caught.value.status == 400
    assert caught.value.size is None
