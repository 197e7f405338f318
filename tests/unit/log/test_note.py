"""C2SP signed notes: the Go reference vector, round trips and every refusal."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.log.note import (
    AmbiguousKeyError,
    InvalidSignatureError,
    KeyFormatError,
    MalformedNoteError,
    Signer,
    UnverifiedNoteError,
    Verifier,
    key_id,
    open_note,
    sign_note,
)

# From golang.org/x/mod/sumdb/note (package documentation and note_test.go).
GO_SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_SIG = (
    "— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb"
    "6KE6RyyBwJnAM=\n"
)
GO_NOTE = GO_TEXT + "\n" + GO_SIG


def test_signing_the_go_example_gives_the_go_note_byte_for_byte() -> None:
    assert sign_note(GO_TEXT, Signer.parse(GO_SKEY)) == GO_NOTE


def test_go_keys_parse_and_print_back() -> None:
    signer = Signer.parse(GO_SKEY)
    verifier = Verifier.parse(GO_VKEY)
    assert str(signer) == GO_SKEY
    assert str(verifier) == GO_VKEY == str(signer.verifier)
    assert signer.key_id == verifier.key_id == 0xC74F20A3


def test_key_id_is_sha256_of_name_newline_alg_key() -> None:
    raw = base64.b64decode(GO_VKEY.split("+", 2)[2])[1:]
    assert key_id("PeterNeumann", raw) == 0xC74F20A3


def test_opening_the_go_note_verifies_it() -> None:
    note = open_note(GO_NOTE.encode(), [Verifier.parse(GO_VKEY)])
    assert note.text == GO_TEXT
    assert note.signed_by == ("PeterNeumann+c74f20a3",)


def test_signer_repr_does_not_leak_the_private_key() -> None:
    assert "AYEK" not in repr(Signer.parse(GO_SKEY))


def test_several_signers_and_unknown_keys_are_kept_apart() -> None:
    a, b = Signer.generate("a.example"), Signer.generate("b.example")
    msg = sign_note("hello\n", a, b)
    note = open_note(msg, [a.verifier])
    assert note.signed_by == (f"a.example+{a.key_id:08x}",)
    assert [s.name for s in note.unverified_sigs] == ["b.example"]


def test_repeated_signature_lines_are_ignored() -> None:
    a = Signer.generate("a")
    msg = sign_note("x\n", a)
    sig_line = msg.split("\n\n")[1]
    assert open_note(msg + sig_line, [a.verifier]).signed_by == (f"a+{a.key_id:08x}",)


def test_wrong_key_leaves_the_note_unverified() -> None:
    msg = sign_note("hello\n", Signer.generate("log"))
    with pytest.raises(UnverifiedNoteError, match="no verifiable signatures") as info:
        open_note(msg, [Signer.generate("log").verifier])
    assert info.value.note.text == "hello\n"


def test_no_known_keys_at_all_is_unverified() -> None:
    with pytest.raises(UnverifiedNoteError):
        open_note(GO_NOTE, [])


@pytest.mark.parametrize("bit", [0, 7, 100, 300, 511])
def test_flipped_signature_bit_is_an_invalid_signature(bit: int) -> None:
    head, line = GO_NOTE.split("\n\n")
    name, b64 = line[2:-1].split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[4 + bit // 8] ^= 1 << (bit % 8)
    forged = f"{head}\n\n— {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(
        InvalidSignatureError, match=r"invalid signature for key PeterNeumann\+c74f20a3"
    ):
        open_note(forged, [Verifier.parse(GO_VKEY)])


def test_changed_text_is_an_invalid_signature() -> None:
    with pytest.raises(InvalidSignatureError):
        open_note(GO_NOTE.replace("problem,", "problem;"), [Verifier.parse(GO_VKEY)])


def test_flipped_key_id_bit_makes_the_signature_unknown() -> None:
    head, line = GO_NOTE.split("\n\n")
    name, b64 = line[2:-1].split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[0] ^= 1
    forged = f"{head}\n\n— {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(UnverifiedNoteError):
        open_note(forged, [Verifier.parse(GO_VKEY)])


@pytest.mark.parametrize(
    ("msg", "why"),
    [
        (GO_TEXT + GO_SIG, "no blank line"),
        (GO_TEXT + "\n", "no signature lines"),
        (GO_NOTE[:-1], "does not end with a newline"),
        (GO_TEXT + "\n- PeterNeumann AAAA\n", "does not start with '— '"),
        (GO_TEXT + "\n— PeterNeumann\n", "not '— <key name> <base64>'"),
        (GO_TEXT + "\n— Peter+Neumann x08go/ZJ\n", "not '— <key name> <base64>'"),
        (GO_TEXT + "\n— PeterNeumann x08go/Z!\n", "bad base64"),
        (GO_TEXT + "\n— PeterNeumann x08go/Z\n", "bad base64"),
        (GO_TEXT + "\n— PeterNeumann AAAAAA==\n", "only 4 bytes"),
        ("tab\there\n" + "\n" + GO_SIG, "control character U+0009"),
        (GO_TEXT + "\n" + GO_SIG * 101, "limit 100"),
    ],
)
def test_malformed_notes_are_refused_precisely(msg: str, why: str) -> None:
    with pytest.raises(MalformedNoteError, match=why.replace("+", r"\+").replace("(", r"\(")):
        open_note(msg, [Verifier.parse(GO_VKEY)])


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(MalformedNoteError, match="not valid UTF-8"):
        open_note(b"\xff\n\n" + GO_SIG.encode(), [Verifier.parse(GO_VKEY)])


def test_text_without_final_newline_cannot_be_signed() -> None:
    with pytest.raises(MalformedNoteError, match="must end with a newline"):
        sign_note("no newline", Signer.parse(GO_SKEY))


def test_ambiguous_known_keys_are_refused() -> None:
    v = Verifier.parse(GO_VKEY)
    with pytest.raises(AmbiguousKeyError, match="ambiguous key PeterNeumann\\+c74f20a3"):
        open_note(
            GO_NOTE, [v, Verifier(v.name, v.key_id, Signer.generate("x").verifier.public_key)]
        )


@pytest.mark.parametrize(
    ("vkey", "why"),
    [
        ("PeterNeumann+c74f20a3", "must be <name>"),
        ("+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "invalid key name"),
        ("PeterNeumann+c74f20a+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "8 hex digits"),
        ("PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "does not match"),
        ("PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10T", "base64"),
        (
            "PeterNeumann+cc469956+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TWBADKEY==",
            "has 36 bytes, want 32",
        ),
        ("PeterNeumann+173116ae+ZRpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "algorithm 101"),
    ],
)
def test_malformed_verifier_keys_are_refused_precisely(vkey: str, why: str) -> None:
    with pytest.raises(KeyFormatError, match=why):
        Verifier.parse(vkey)


def test_mangled_signer_keys_are_refused() -> None:
    for i in range(len(GO_SKEY)):
        mangled = GO_SKEY[:i] + chr(ord(GO_SKEY[i]) + 1) + GO_SKEY[i + 1 :]
        with pytest.raises(KeyFormatError):
            Signer.parse(mangled)
    for cut in (10, 20, 40, len(GO_SKEY) - 1):
        with pytest.raises(KeyFormatError):
            Signer.parse(GO_SKEY[:cut])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 64 * 8 - 1))
def test_any_single_bit_flip_in_a_signature_is_detected(bit: int) -> None:
    signer = Signer.generate("log.example")
    msg = sign_note("origin\n5\nAAAA\n", signer)
    head, line = msg.split("\n\n")
    name, b64 = line[2:-1].split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[4 + bit // 8] ^= 1 << (bit % 8)
    forged = f"{head}\n\n— {name} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(InvalidSignatureError):
        open_note(forged, [signer.verifier])


@settings(max_examples=60, deadline=None)
@given(st.integers(0, len("origin\n5\nAAAA\n") * 8 - 1))
def test_any_single_bit_flip_in_the_text_is_detected(bit: int) -> None:
    signer = Signer.generate("log.example")
    text = bytearray(b"origin\n5\nAAAA\n")
    text[bit // 8] ^= 1 << (bit % 8)
    msg = sign_note("origin\n5\nAAAA\n", signer)
    forged = bytes(text) + msg.encode()[len(text) :]
    with pytest.raises((InvalidSignatureError, MalformedNoteError)):
        open_note(forged, [signer.verifier])
