"""Ed25519 signatures made and checked by libsodium (PyNaCl), for keys held everywhere else as
``cryptography``'s key objects.

A cast verifies a session token and signs a receipt; libsodium does each in about half of
OpenSSL's time on the machines ``bench.cast`` ran on (verify 119 → 63 µs, sign 36 → 23 µs).
The signatures are the same bytes (Ed25519 is deterministic), so nothing published changes.
libsodium's check is the stricter one: besides what OpenSSL refuses, it refuses public keys of
small order and non-canonical encodings, so nothing OpenSSL refused is accepted.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError

__all__ = ("raw_public", "sign", "verify")

_SIGNATURE_BYTES = 64
_MAX_KEYS = 1_024
"""Keys whose raw form is remembered (a process holds a handful: its rings, its witnesses)."""

# By the key object's identity, holding the object so that its id is not reused meanwhile.
_public: dict[int, tuple[Ed25519PublicKey, bytes]] = {}
_secret: dict[int, tuple[Ed25519PrivateKey, bytes]] = {}

_Key = TypeVar("_Key", Ed25519PublicKey, Ed25519PrivateKey)


def _remembered(
    known: dict[int, tuple[_Key, bytes]], key: _Key, derive: Callable[[_Key], bytes]
) -> bytes:
    found = known.get(id(key))
    if found is not None and found[0] is key:
        return found[1]
    value = derive(key)
    if len(known) >= _MAX_KEYS:
        known.clear()
    known[id(key)] = (key, value)
    return value


def raw_public(key: Ed25519PublicKey) -> bytes:
    """The key's 32 bytes, as they appear in key lines, key ids and libsodium's calls."""
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def _sodium(key: Ed25519PrivateKey) -> bytes:
    seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    return crypto_sign_seed_keypair(seed)[1]


def verify(key: Ed25519PublicKey, signature: bytes, message: bytes) -> bool:
    """Whether ``signature`` is ``key``'s Ed25519 signature of ``message``."""
    if len(signature) != _SIGNATURE_BYTES:
        return False
    try:
        crypto_sign_open(signature + message, _remembered(_public, key, raw_public))
    except BadSignatureError:
        return False
    return True


def sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    """``key``'s 64-byte Ed25519 signature of ``message`` (the bytes OpenSSL would give)."""
    return crypto_sign(message, _remembered(_secret, key, _sodium))[:_SIGNATURE_BYTES]
