"""C2SP checkpoints: layout, strict parsing, signing and opening."""

from __future__ import annotations

import base64
import hashlib

import pytest

from shared.log.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from shared.log.note import InvalidSignatureError, Signer, UnverifiedNoteError

ROOT = hashlib.sha256(b"root").digest()
ROOT_B64 = base64.b64encode(ROOT).decode()
ORIGIN = "vmeste.example/polls/7"


def test_body_is_origin_size_root_and_extensions() -> None:
    cp = Checkpoint(ORIGIN, 1234, ROOT, ("ext one",))
    assert cp.body() == f"{ORIGIN}\n1234\n{ROOT_B64}\next one\n"
    assert parse_checkpoint(cp.body()) == cp


def test_signed_checkpoint_opens_with_the_log_key() -> None:
    signer = Signer.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 0, ROOT), signer)
    cp, opened = open_checkpoint(note, [signer.verifier], origin=ORIGIN)
    assert (cp.size, cp.root) == (0, ROOT)
    assert opened.signed_by == (f"{ORIGIN}+{signer.key_id:08x}",)


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (f"{ORIGIN}\n12\n{ROOT_B64}", "must end with a newline"),
        (f"{ORIGIN}\n12\n", "has 2 lines, want at least 3"),
        (f"\n12\n{ROOT_B64}\n", "origin line is empty"),
        (f"{ORIGIN}\n012\n{ROOT_B64}\n", "leading zero"),
        (f"{ORIGIN}\n-1\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n+1\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n1 \n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n١٢\n{ROOT_B64}\n", "not a decimal number"),
        (f"{ORIGIN}\n18446744073709551616\n{ROOT_B64}\n", "exceeds 2\\^64-1"),
        (f"{ORIGIN}\n12\n{ROOT_B64[:-1]}\n", "not valid base64"),
        (f"{ORIGIN}\n12\n{ROOT_B64[:-2]}!=\n", "not valid base64"),
        (f"{ORIGIN}\n12\n{base64.b64encode(ROOT[:31]).decode()}\n", "31 bytes, want 32"),
        (f"{ORIGIN}\n12\n{base64.b64encode(ROOT + b'x').decode()}\n", "33 bytes, want 32"),
        (f"{ORIGIN}\n12\n{ROOT_B64}\n\n", "line 4 \\(extension\\) is empty"),
    ],
)
def test_malformed_bodies_are_refused_precisely(body: str, why: str) -> None:
    with pytest.raises(CheckpointError, match=why):
        parse_checkpoint(body)


def test_non_canonical_base64_root_is_refused() -> None:
    raw = bytearray(base64.b64decode(ROOT_B64))
    text = base64.b64encode(bytes(raw)).decode()
    # Set the unused low bits of the last base64 digit: decodes to the same bytes.
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    idx = last.index(text[-2])
    tweaked = text[:-2] + last[idx | 1 if idx % 4 == 0 else idx] + "="
    if tweaked != text:
        with pytest.raises(CheckpointError, match="not canonical base64"):
            parse_checkpoint(f"{ORIGIN}\n1\n{tweaked}\n")


def test_checkpoint_for_another_log_is_refused() -> None:
    signer = Signer.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint("other.example/log", 3, ROOT), signer)
    with pytest.raises(CheckpointError, match=r"is for log 'other\.example/log'"):
        open_checkpoint(note, [signer.verifier], origin=ORIGIN)


def test_wrong_key_is_refused() -> None:
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), Signer.generate(ORIGIN))
    with pytest.raises(UnverifiedNoteError):
        open_checkpoint(note, [Signer.generate(ORIGIN).verifier])


def test_changed_size_breaks_the_signature() -> None:
    signer = Signer.generate(ORIGIN)
    note = sign_checkpoint(Checkpoint(ORIGIN, 3, ROOT), signer)
    with pytest.raises(InvalidSignatureError):
        open_checkpoint(note.replace("\n3\n", "\n4\n", 1), [signer.verifier])


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [
        ({"origin": ""}, "non-empty line"),
        ({"size": -1}, "outside"),
        ({"root": b"short"}, "5 bytes, want 32"),
        ({"extensions": ("",)}, "non-empty lines"),
    ],
)
def test_invalid_checkpoints_cannot_be_built(kwargs: dict[str, object], why: str) -> None:
    args: dict[str, object] = {"origin": ORIGIN, "size": 1, "root": ROOT, **kwargs}
    with pytest.raises(CheckpointError, match=why):
        Checkpoint(**args)  # type: ignore[arg-type]
