"""Witness cosignatures of checkpoints: C2SP tlog-cosignature, Ed25519 ``cosignature/v1``.

https://c2sp.org/tlog-cosignature. A witness signs that it saw a checkpoint and that it is
an append-only extension of everything it saw before of that log:

* key id: the first 4 bytes of ``SHA-256(name ‖ 0x0A ‖ 0x04 ‖ 32-byte public key)``;
* verifier key: ``<name>+<8 hex key id>+<base64(0x04 ‖ public key)>``;
* signer key: ``PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x04 ‖ 32-byte seed)>``;
* signed message: ``cosignature/v1\\ntime <T>\\n`` followed by the checkpoint body (its three
  or more lines, final newline included, no signature lines), ``T`` the POSIX time in seconds;
* signature line on the note: ``— <name> <base64(key id ‖ 8-byte big-endian T ‖ 64-byte
  Ed25519 signature)>``.

A cosigned checkpoint is the log's signed note with the witnesses' lines appended; verifiers
that do not know a witness key skip its line, as the signed-note format requires.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from shared import ed25519
from shared.log.note import KeyFormatError, MalformedNoteError, is_valid_key_name

__all__ = (
    "ALG_COSIGNATURE_V1",
    "CosignatureError",
    "Cosigned",
    "WitnessKey",
    "WitnessSigner",
    "add_signature_lines",
    "cosignature_message",
    "note_parts",
    "verified_cosignatures",
)

ALG_COSIGNATURE_V1 = 0x04
_SIG_PREFIX = "— "


class CosignatureError(ValueError):
    """A cosignature by a known witness key does not verify."""


def _key_id(name: str, public_key: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_COSIGNATURE_V1]) + public_key)
    return int.from_bytes(digest.digest()[:4], "big")


def cosignature_message(body: str, timestamp: int) -> bytes:
    """The bytes a witness signs for ``body`` (a checkpoint's text) at ``timestamp``."""
    return f"cosignature/v1\ntime {timestamp}\n".encode() + body.encode()


@dataclass(frozen=True, slots=True)
class WitnessKey:
    """A witness's public key, as published: ``name+hexid+base64(0x04 ‖ key)``."""

    name: str
    key_id: int
    public_key: bytes

    @classmethod
    def parse(cls, vkey: str) -> WitnessKey:
        name, sep, rest = vkey.strip().partition("+")
        hex_id, sep2, b64 = rest.partition("+")
        if not sep or not sep2 or not is_valid_key_name(name) or len(hex_id) != 8:
            raise KeyFormatError(f"witness key {vkey!r} is not name+hexid+base64")
        try:
            raw = base64.b64decode(b64, validate=True)
            claimed = int(hex_id, 16)
        except (binascii.Error, ValueError):
            raise KeyFormatError(f"witness key {vkey!r} is not name+hexid+base64") from None
        if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
            raise KeyFormatError(f"witness key {vkey!r} is not an Ed25519 cosignature/v1 key")
        if _key_id(name, raw[1:]) != claimed:
            raise KeyFormatError(f"witness key {vkey!r}: key id does not match the key")
        return cls(name, claimed, raw[1:])

    def __str__(self) -> str:
        blob = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_id:08x}+{blob}"

    def verify(self, body: str, timestamp: int, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public_key).verify(
                signature, cosignature_message(body, timestamp)
            )
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True, slots=True)
class WitnessSigner:
    """A witness's private key; ``str()`` gives the ``PRIVATE+KEY+…`` form to store."""

    name: str
    private_key: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str) -> WitnessSigner:
        if not is_valid_key_name(name):
            raise KeyFormatError(f"invalid witness name {name!r}")
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, skey: str) -> WitnessSigner:
        # At most 4 splits: the base64 key data may itself contain "+".
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise KeyFormatError("witness signer key is not PRIVATE+KEY+name+hexid+base64")
        name, hex_id, b64 = parts[2:]
        if not is_valid_key_name(name):
            raise KeyFormatError(f"invalid witness name {name!r}")
        try:
            raw = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raise KeyFormatError("witness signer key is not base64") from None
        if len(raw) != 33 or raw[0] != ALG_COSIGNATURE_V1:
            raise KeyFormatError("witness signer key is not an Ed25519 cosignature/v1 key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if f"{signer.key.key_id:08x}" != hex_id:
            raise KeyFormatError("witness signer key: key id does not match the key")
        return signer

    @property
    def key(self) -> WitnessKey:
        public = ed25519.raw_public(self.private_key.public_key())
        return WitnessKey(self.name, _key_id(self.name, public), public)

    def __str__(self) -> str:
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        blob = base64.b64encode(bytes([ALG_COSIGNATURE_V1]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key.key_id:08x}+{blob}"

    def __repr__(self) -> str:
        return f"WitnessSigner({self.name!r})"

    def cosign(self, body: str, timestamp: int) -> str:
        """The signature line (with its newline) cosigning checkpoint ``body``."""
        signature = self.private_key.sign(cosignature_message(body, timestamp))
        blob = self.key.key_id.to_bytes(4, "big") + timestamp.to_bytes(8, "big") + signature
        return f"{_SIG_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


def note_parts(note: str) -> tuple[str, list[str]]:
    """A signed note's text (the checkpoint body) and its signature lines (with newlines)."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise MalformedNoteError("note has no blank line before its signatures")
    return note[: split + 1], [line + "\n" for line in note[split + 2 : -1].split("\n")]


def add_signature_lines(note: str, lines: Iterable[str]) -> str:
    """The note with these signature lines appended (any already on it are not repeated)."""
    text, present = note_parts(note)
    kept = list(present)
    for line in lines:
        if line not in kept:
            kept.append(line)
    return text + "\n" + "".join(kept)


@dataclass(frozen=True, slots=True)
class Cosigned:
    """A verified cosignature: by which witness key, at what time."""

    witness: str
    """``name+hexid`` of the witness key."""
    timestamp: int


def verified_cosignatures(note: str, witnesses: Iterable[WitnessKey]) -> list[Cosigned]:
    """The cosignatures on ``note`` by the given witness keys that verify (one per key).

    Lines of other keys are skipped; a line claiming a given witness key whose signature does
    not verify raises :class:`CosignatureError` (someone altered the note or forged it).
    """
    body, lines = note_parts(note)
    keys = {(w.name, w.key_id): w for w in witnesses}
    found: dict[str, Cosigned] = {}
    for line in lines:
        if not line.startswith(_SIG_PREFIX):
            raise MalformedNoteError("a signature line does not start with '— '")
        name, _, b64 = line[len(_SIG_PREFIX) : -1].partition(" ")
        try:
            blob = base64.b64decode(b64, validate=True)
        except binascii.Error:
            raise MalformedNoteError(f"signature line of {name!r} is not base64") from None
        if len(blob) < 4:
            continue
        key = keys.get((name, int.from_bytes(blob[:4], "big")))
        if key is None:
            continue
        if len(blob) != 4 + 8 + 64:
            raise CosignatureError(f"cosignature of {key.name} has {len(blob)} bytes, want 76")
        timestamp = int.from_bytes(blob[4:12], "big")
        if not key.verify(body, timestamp, blob[12:]):
            raise CosignatureError(f"cosignature of {key.name}+{key.key_id:08x} does not verify")
        witness = f"{key.name}+{key.key_id:08x}"
        found.setdefault(witness, Cosigned(witness, timestamp))
    return list(found.values())
