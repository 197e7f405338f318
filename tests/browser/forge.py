"""What a lying server would serve: Merkle trees, proofs and signed notes built from scratch.

The tree maths here is the textbook recursion of RFC 6962 §2.1 (MTH, PATH, SUBPROOF), and the
notes are signed with bare Ed25519 in the C2SP formats (key id = SHA-256(name ‖ "\n" ‖ alg ‖
key)[:4], 0x01 for a log key, 0x04 for a witness's cosignature/v1), all written apart from
``shared.log`` so that the browser's verifier is checked against an independent
construction, not against the code it mirrors.
"""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = (
    "LOG",
    "WITNESS",
    "Key",
    "b64",
    "checkpoint_body",
    "consistency_proof",
    "cosign",
    "inclusion_proof",
    "leaf",
    "receipt",
    "root",
    "sign_note",
    "signed_checkpoint",
)

LOG = 0x01
WITNESS = 0x04


@dataclass(frozen=True, slots=True)
class Key:
    """An Ed25519 key under a name: a log's signed-note key or a witness's cosigning key."""

    name: str
    private: Ed25519PrivateKey
    alg: int = LOG

    @classmethod
    def generate(cls, name: str, alg: int = LOG) -> Key:
        return cls(name, Ed25519PrivateKey.generate(), alg)

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_id(self) -> bytes:
        return _h(self.name.encode() + b"\n" + bytes([self.alg]) + self.public)[:4]

    @property
    def verifier(self) -> str:
        """``name+hexid+base64(alg ‖ key)``."""
        data = base64.b64encode(bytes([self.alg]) + self.public).decode()
        return f"{self.name}+{self.key_id.hex()}+{data}"


def _h(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def leaf(entry: bytes) -> bytes:
    """RFC 6962 leaf hash of an entry."""
    return _h(b"\x00" + entry)


def _split(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def root(leaves: list[bytes]) -> bytes:
    """MTH over leaf hashes."""
    if not leaves:
        return _h(b"")
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _h(b"\x01" + root(leaves[:k]) + root(leaves[k:]))


def inclusion_proof(index: int, leaves: list[bytes]) -> list[bytes]:
    """PATH(index, leaves), bottom up."""
    if len(leaves) <= 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_proof(index, leaves[:k]), root(leaves[k:])]
    return [*inclusion_proof(index - k, leaves[k:]), root(leaves[:k])]


def _subproof(m: int, leaves: list[bytes], whole: bool) -> list[bytes]:
    n = len(leaves)
    if m == n:
        return [] if whole else [root(leaves)]
    k = _split(n)
    if m <= k:
        return [*_subproof(m, leaves[:k], whole), root(leaves[k:])]
    return [*_subproof(m - k, leaves[k:], False), root(leaves[:k])]


def consistency_proof(m: int, leaves: list[bytes]) -> list[bytes]:
    """PROOF(m, leaves): the first ``m`` leaves are a prefix of ``leaves``."""
    return _subproof(m, leaves, True) if 0 < m < len(leaves) else []


def checkpoint_body(origin: str, leaves: list[bytes]) -> str:
    return f"{origin}\n{len(leaves)}\n{base64.b64encode(root(leaves)).decode()}\n"


def sign_note(text: str, *keys: Key) -> str:
    """``text`` as a signed note: a blank line, then one ``— name base64(id ‖ sig)`` per key."""
    lines = "".join(
        f"— {k.name} {base64.b64encode(k.key_id + k.private.sign(text.encode())).decode()}\n"
        for k in keys
    )
    return f"{text}\n{lines}"


def cosign(witness: Key, note: str, timestamp: int | None = None) -> str:
    """``note`` with a cosignature/v1 line of ``witness`` appended."""
    body = note[: note.rfind("\n\n") + 1]
    at = int(time.time()) if timestamp is None else timestamp
    signed = witness.private.sign(f"cosignature/v1\ntime {at}\n".encode() + body.encode())
    blob = witness.key_id + at.to_bytes(8, "big") + signed
    return f"{note}— {witness.name} {base64.b64encode(blob).decode()}\n"


def signed_checkpoint(origin: str, leaves: list[bytes], log: Key, *witnesses: Key) -> str:
    """A checkpoint of ``leaves`` signed by ``log`` and cosigned by ``witnesses``."""
    note = sign_note(checkpoint_body(origin, leaves), log)
    for witness in witnesses:
        note = cosign(witness, note)
    return note


def receipt(origin: str, entry_leaf: bytes, log: Key, at: str = "2026-11-27T10:00:00Z") -> str:
    """A signed receipt: ``vmeste/receipt/v1``, origin, entry hash hex, accepted-at."""
    return sign_note(f"vmeste/receipt/v1\n{origin}\n{entry_leaf.hex()}\n{at}\n", log)


def b64(hashes: list[bytes]) -> list[str]:
    return [base64.b64encode(h).decode() for h in hashes]
