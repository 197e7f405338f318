"""libsodium's Ed25519 gives OpenSSL's signatures and refuses what OpenSSL refuses."""

from __future__ import annotations

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared import ed25519

MESSAGE = b"vmeste.test/polls/abc\n1700000000\n"


def test_signatures_are_the_bytes_openssl_gives_and_openssl_accepts_them() -> None:
    key = Ed25519PrivateKey.generate()
    signature = ed25519.sign(key, MESSAGE)
    assert signature == key.sign(MESSAGE)
    key.public_key().verify(signature, MESSAGE)  # raises if not


def test_a_signature_openssl_made_verifies() -> None:
    key = Ed25519PrivateKey.generate()
    assert ed25519.verify(key.public_key(), key.sign(MESSAGE), MESSAGE)


@pytest.mark.parametrize(
    "spoil",
    [
        lambda sig, msg, pub, other: (sig, msg + b"!", pub),
        lambda sig, msg, pub, other: (bytes([sig[0] ^ 1]) + sig[1:], msg, pub),
        lambda sig, msg, pub, other: (sig[:63], msg, pub),
        lambda sig, msg, pub, other: (sig + b"\x00", msg, pub),
        lambda sig, msg, pub, other: (sig, msg, other),
    ],
    ids=["other message", "flipped bit", "short", "long", "other key"],
)
def test_what_openssl_refuses_is_refused(spoil: object) -> None:
    key, other = Ed25519PrivateKey.generate(), Ed25519PrivateKey.generate()
    signature = key.sign(MESSAGE)
    sig, msg, pub = spoil(signature, MESSAGE, key.public_key(), other.public_key())  # type: ignore[operator]
    assert not ed25519.verify(pub, sig, msg)
    with pytest.raises((InvalidSignature, ValueError)):
        pub.verify(sig, msg)


def test_a_small_order_public_key_verifies_nothing() -> None:
    # The identity point with s = 0: a "signature" any message would pass under a lax check.
    identity = Ed25519PublicKey.from_public_bytes(bytes([1]) + bytes(31))
    forged = bytes([1]) + bytes(31) + bytes(32)
    assert not ed25519.verify(identity, forged, MESSAGE)


def test_many_keys_each_verify_with_their_own() -> None:
    keys = [Ed25519PrivateKey.generate() for _ in range(50)]
    signatures = [ed25519.sign(k, MESSAGE) for k in keys]
    assert all(
        ed25519.verify(k.public_key(), s, MESSAGE) for k, s in zip(keys, signatures, strict=True)
    )
    assert not ed25519.verify(keys[0].public_key(), signatures[1], MESSAGE)
