"""The canonical encoding (shared/canonical.py), tested here beside its main user."""

from __future__ import annotations

import msgspec
import pytest

from shared.canonical import CANONICAL_VERSION, canonical_bytes


class Ballot(msgspec.Struct, frozen=True, kw_only=True):
    v: int
    poll: str
    nonce: bytes
    answers: dict[str, list[int]]
    note: str | None = None


class Loose(msgspec.Struct):
    v: int


def test_fields_in_declaration_order_without_whitespace() -> None:
    b = Ballot(v=1, poll="p", nonce=b"\x00\xff", answers={"q2": [3], "q1": [1, 2]})
    assert canonical_bytes(b) == (
        b'{"v":1,"poll":"p","nonce":"AP8=","answers":{"q1":[1,2],"q2":[3]},"note":null}'
    )


def test_text_is_raw_utf8_with_minimal_escapes() -> None:
    b = Ballot(v=1, poll='é/"\\\n\x01\x7f', nonce=b"", answers={})
    assert b'"poll":"\xc3\xa9/\\"\\\\\\n\\u0001\x7f"' in canonical_bytes(b)


def test_equal_values_give_equal_bytes() -> None:
    one = Ballot(v=1, poll="p", nonce=b"n", answers={"a": [1], "b": [2]})
    two = Ballot(v=1, poll="p", nonce=b"n", answers={"b": [2], "a": [1]})
    assert canonical_bytes(one) == canonical_bytes(two)


def test_mutable_structs_and_other_values_are_refused() -> None:
    with pytest.raises(TypeError, match=r"frozen msgspec\.Struct, got Loose"):
        canonical_bytes(Loose(v=1))
    with pytest.raises(TypeError, match="got dict"):
        canonical_bytes({"v": 1})  # type: ignore[arg-type]


def test_version_is_one() -> None:
    assert CANONICAL_VERSION == 1
