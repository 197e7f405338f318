"""The one sealed-box format of the casting path: a version byte, a random 96-bit nonce, then
AES-256-GCM of the plaintext bound to associated data naming where the box belongs (its poll
and row), so a box copied into another row does not open.

Receipt seals (:mod:`.sealing`) and pooled ballots (:mod:`.pooling`) use it with their own
keys and associated data.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ("close_box", "open_box")

_VERSION = b"\x01"
_NONCE = 12
_TAG = 16


def close_box(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return _VERSION + nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_box(key: bytes, box: bytes, aad: bytes, what: str) -> bytes:
    """The plaintext; raises ValueError naming ``what`` if the box is of another format, was
    altered, or belongs elsewhere."""
    if box[:1] != _VERSION or len(box) < 1 + _NONCE + _TAG:
        raise ValueError(f"unknown {what} format")
    nonce, body = box[1 : 1 + _NONCE], box[1 + _NONCE :]
    try:
        return AESGCM(key).decrypt(nonce, body, aad)
    except InvalidTag:
        raise ValueError(f"the {what} does not open: wrong row or altered") from None
