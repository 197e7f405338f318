"""The cryptography a cast cannot avoid, timed in this process.

Every cast must verify the session token's Ed25519 signature, compute the voter tag
(HMAC-SHA256 under the poll key), seal the receipt details and the pooled ballot (AES-GCM,
fresh keys derived per row and per poll) and sign the receipt (Ed25519). Key derivations are
HMACs and counted with what they key. Timed with :mod:`timeit` on the real key sizes and
message sizes of the benchmark's cast, with the implementations the service uses (libsodium
for Ed25519, :mod:`shared.ed25519`); the best of several repeats, as timeit advises.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
import timeit
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from shared import ed25519

__all__ = ("Floor", "measure_floor")

_TOKEN_BYTES = 560  # header.payload of a citizen's session token (measured, about this)
_RECEIPT_BYTES = 160  # a receipt note's signed body: origin, hash, time
_SEALED_RECEIPT_BYTES = 90
_POOLED_BYTES = 256  # the benchmark poll's padded entry


@dataclass(frozen=True)
class Floor:
    parts: tuple[tuple[str, float], ...]
    """(what, µs) of each unavoidable operation."""

    @property
    def total_us(self) -> float:
        return sum(us for _, us in self.parts)

    def allowed_ratio(self, bare_per_s: float, workers: int) -> float:
        """The best casts/s ÷ bare POST/s a cast can reach if it cost a bare POST plus the
        floor: ``workers`` processes spend ``workers / bare_per_s`` s on each bare POST."""
        bare_us = workers * 1e6 / bare_per_s
        return bare_us / (bare_us + self.total_us)


def _best_us(call: Callable[[], object], number: int = 2000) -> float:
    return min(timeit.repeat(call, number=number, repeat=5)) / number * 1e6


def measure_floor() -> Floor:
    session_key = Ed25519PrivateKey.generate()
    token_body = secrets.token_bytes(_TOKEN_BYTES)
    token_signature = session_key.sign(token_body)
    public = session_key.public_key()
    secret, poll_key = os.urandom(32), os.urandom(32)
    receipt_key = Ed25519PrivateKey.generate()
    receipt_body = secrets.token_bytes(_RECEIPT_BYTES)
    sub = secrets.token_hex(16).encode()
    sealed_receipt = secrets.token_bytes(_SEALED_RECEIPT_BYTES)
    pooled = secrets.token_bytes(_POOLED_BYTES)
    aad = dt.datetime.now(dt.UTC).isoformat().encode()

    def seal(plain: bytes) -> bytes:
        key = hmac.new(secret, b"label\x00" + sub, hashlib.sha256).digest()
        return AESGCM(key).encrypt(os.urandom(12), plain, aad)

    return Floor(
        (
            (
                "Ed25519 verify of the session token",
                _best_us(lambda: ed25519.verify(public, token_signature, token_body)),
            ),
            (
                "HMAC-SHA256 voter tag",
                _best_us(lambda: hmac.new(poll_key, sub, hashlib.sha256).hexdigest()),
            ),
            ("AES-GCM seal of the receipt details", _best_us(lambda: seal(sealed_receipt))),
            ("AES-GCM seal of the pooled ballot", _best_us(lambda: seal(pooled))),
            (
                "Ed25519 signature of the receipt",
                _best_us(lambda: ed25519.sign(receipt_key, receipt_body)),
            ),
        )
    )
