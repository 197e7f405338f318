"""Witness cosignatures, checked against the C2SP tlog-cosignature format computed here."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.log.checkpoint import Checkpoint, sign_checkpoint
from shared.log.cosignature import (
    CosignatureError,
    WitnessKey,
    WitnessSigner,
    add_signature_lines,
    verified_cosignatures,
)
from shared.log.note import KeyFormatError, Signer, open_note

BODY = Checkpoint("vmeste.test/polls/p1", 7, bytes(range(32))).body()


def test_a_cosignature_line_is_the_c2sp_format() -> None:
    witness = WitnessSigner.generate("witness.example")
    public = witness.key.public_key
    line = witness.cosign(BODY, 1_700_000_000)
    assert line.startswith("— witness.example ")
    assert line.endswith("\n")
    blob = base64.b64decode(line.split(" ")[2])
    key_id = hashlib.sha256(b"witness.example\n\x04" + public).digest()[:4]
    assert blob[:4] == key_id
    assert int.from_bytes(blob[4:12], "big") == 1_700_000_000
    message = b"cosignature/v1\ntime 1700000000\n" + BODY.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(blob[12:], message)  # raises if wrong
    vkey = str(witness.key)
    encoded = base64.b64encode(bytes([4]) + public).decode()
    assert vkey == f"witness.example+{key_id.hex()}+{encoded}"
    assert WitnessKey.parse(vkey) == witness.key
    assert WitnessSigner.parse(str(witness)).key == witness.key


def test_a_cosigned_checkpoint_still_opens_with_the_log_key_and_counts_its_witnesses() -> None:
    log = Signer.generate("vmeste.test")
    note = sign_checkpoint(Checkpoint("vmeste.test/polls/p1", 7, bytes(range(32))), log)
    first, second = WitnessSigner.generate("w1"), WitnessSigner.generate("w2")
    cosigned = add_signature_lines(note, [first.cosign(BODY, 1), second.cosign(BODY, 2)])
    assert open_note(cosigned, [log.verifier]).text == BODY
    found = verified_cosignatures(cosigned, [first.key, second.key])
    assert sorted(c.timestamp for c in found) == [1, 2]
    assert verified_cosignatures(cosigned, [WitnessSigner.generate("w3").key]) == []
    assert add_signature_lines(cosigned, [first.cosign(BODY, 1)]) == cosigned


def test_a_cosignature_of_another_tree_or_a_changed_time_is_refused() -> None:
    log = Signer.generate("vmeste.test")
    witness = WitnessSigner.generate("w1")
    other = Checkpoint("vmeste.test/polls/p1", 7, bytes(32)).body()
    note = sign_checkpoint(Checkpoint("vmeste.test/polls/p1", 7, bytes(range(32))), log)
    with pytest.raises(CosignatureError):
        verified_cosignatures(add_signature_lines(note, [witness.cosign(other, 5)]), [witness.key])
    line = witness.cosign(BODY, 5)
    blob = bytearray(base64.b64decode(line.split(" ")[2]))
    blob[11] ^= 1  # the timestamp is signed too
    forged = f"— w1 {base64.b64encode(bytes(blob)).decode()}\n"
    with pytest.raises(CosignatureError):
        verified_cosignatures(add_signature_lines(note, [forged]), [witness.key])


def test_a_log_key_is_not_a_witness_key() -> None:
    log = Signer.generate("vmeste.test")
    with pytest.raises(KeyFormatError):
        WitnessKey.parse(str(log.verifier))


def test_every_stored_witness_signer_key_reads_back_even_with_plus_in_its_base64() -> None:
    signers = [WitnessSigner.generate("witness.example/w1") for _ in range(64)]
    with_plus = [s for s in signers if "+" in str(s).split("+", 4)[4]]
    assert with_plus, "64 random keys without a '+' in their base64: regenerate"
    for signer in signers:
        assert WitnessSigner.parse(str(signer)).key == signer.key
    with pytest.raises(KeyFormatError):
        WitnessSigner.parse(str(signers[0]).replace("witness.example/w1", "two words", 1))
