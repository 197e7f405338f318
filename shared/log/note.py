"""C2SP signed notes with Ed25519 (https://c2sp.org/signed-note).

Byte-compatible with ``golang.org/x/mod/sumdb/note``: the same key strings, key ids, note
layout and the same refusal rules, so any standard signed-note verifier accepts our notes.

* key id: the first 4 bytes (big-endian uint32) of ``SHA-256(name ‖ 0x0A ‖ 0x01 ‖ pubkey)``;
* verifier key: ``<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte public key)>``;
* signer key: ``PRIVATE+KEY+<name>+<8 hex key id>+<base64(0x01 ‖ 32-byte seed)>``;
* note: text ending in ``\\n``, one blank line, then lines
  ``— <name> <base64(4-byte key id ‖ 64-byte Ed25519 signature of the text)>\\n``
  (U+2014 EM DASH and a space).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
)

from shared import ed25519

__all__ = (
    "ALG_ED25519",
    "MAX_SIGNATURES",
    "AmbiguousKeyError",
    "InvalidSignatureError",
    "KeyFormatError",
    "MalformedNoteError",
    "Note",
    "NoteError",
    "NoteSignature",
    "Signer",
    "UnverifiedNoteError",
    "Verifier",
    "is_valid_key_name",
    "key_id",
    "open_note",
    "sign_note",
)

ALG_ED25519 = 1
MAX_SIGNATURES = 100
"""Notes with more signature lines are refused, so parsing stays cheap (as in Go)."""

_SIG_PREFIX = "— "


class NoteError(ValueError):
    """A note, key or signature is unusable; the message says which and why."""


class KeyFormatError(NoteError):
    """A verifier or signer key string is malformed or its key id does not match."""


class MalformedNoteError(NoteError):
    """The note does not follow the signed-note format."""


class AmbiguousKeyError(NoteError):
    """Two known verifier keys share a name and key id: the key list is compromised."""


class InvalidSignatureError(NoteError):
    """A signature by a known key does not verify: the note was altered or forged."""

    def __init__(self, name: str, key_id: int) -> None:
        super().__init__(f"invalid signature for key {name}+{key_id:08x}")
        self.name = name
        self.key_id = key_id


class UnverifiedNoteError(NoteError):
    """The note is well formed but carries no signature by any known key."""

    def __init__(self, note: Note) -> None:
        names = ", ".join(f"{s.name}+{s.key_id:08x}" for s in note.unverified_sigs) or "none"
        super().__init__(f"note has no verifiable signatures (signed by unknown keys: {names})")
        self.note = note


def is_valid_key_name(name: str) -> bool:
    """A key name is non-empty and has neither Unicode spaces nor ``+``."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_id(name: str, public_key: bytes) -> int:
    """Key id of an Ed25519 public key (32 raw bytes) under ``name``."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([ALG_ED25519]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _b64decode(text: str) -> bytes:
    # validate=True refuses characters outside the alphabet and missing padding, as Go's
    # base64.StdEncoding does.
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"bad base64: {exc}") from None


def _key_data(kind: str, name: str, hex_id: str, b64: str) -> bytes:
    """The checked name, hex key id and key data of a ``kind`` ("verifier", "signer") key
    string; returns the data (algorithm byte first)."""
    if not is_valid_key_name(name):
        raise KeyFormatError(f"invalid key name {name!r}: empty, or has a space or '+'")
    if len(hex_id) != 8 or any(c not in "0123456789abcdefABCDEF" for c in hex_id):
        raise KeyFormatError(f"key id {hex_id!r} is not 8 hex digits")
    try:
        raw = _b64decode(b64)
    except ValueError as exc:
        raise KeyFormatError(f"{kind} key data: {exc}") from None
    if not raw:
        raise KeyFormatError(f"{kind} key data is empty")
    if raw[0] != ALG_ED25519:
        raise KeyFormatError(f"unknown {kind} algorithm {raw[0]}, want 1 (Ed25519)")
    return raw


def _check_key_id(hex_id: str, computed: int) -> None:
    if computed != int(hex_id, 16):
        raise KeyFormatError(f"key id {hex_id} does not match the key (computed {computed:08x})")


@dataclass(frozen=True, slots=True)
class Verifier:
    """A public key that can check signatures under one key name."""

    name: str
    key_id: int
    public_key: Ed25519PublicKey
    _line: str = field(init=False, repr=False, compare=False)
    """The published key string, made once: pages pin the keys on every view."""

    def __post_init__(self) -> None:
        data = base64.b64encode(bytes([ALG_ED25519]) + ed25519.raw_public(self.public_key))
        object.__setattr__(self, "_line", f"{self.name}+{self.key_id:08x}+{data.decode()}")

    @classmethod
    def from_public_key(cls, name: str, public_key: bytes) -> Verifier:
        """Verifier for a raw 32-byte Ed25519 public key."""
        if not is_valid_key_name(name):
            raise KeyFormatError(f"invalid key name {name!r}: empty, or has a space or '+'")
        if len(public_key) != 32:
            raise KeyFormatError(f"Ed25519 public key has {len(public_key)} bytes, want 32")
        return cls(name, key_id(name, public_key), Ed25519PublicKey.from_public_bytes(public_key))

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """Parse ``<name>+<hex key id>+<base64 key>``."""
        parts = vkey.split("+", 2)
        if len(parts) != 3:
            raise KeyFormatError("verifier key must be <name>+<hex key id>+<base64 key>")
        name, hex_id, b64 = parts
        raw = _key_data("verifier", name, hex_id, b64)
        verifier = cls.from_public_key(name, raw[1:])
        _check_key_id(hex_id, verifier.key_id)
        return verifier

    def __str__(self) -> str:
        return self._line

    def verify(self, message: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (64 bytes) is this key's signature of ``message``."""
        return ed25519.verify(self.public_key, signature, message)


@dataclass(frozen=True, slots=True)
class Signer:
    """A private key that signs notes under one key name. Keep its string form secret."""

    name: str
    key_id: int
    private_key: Ed25519PrivateKey
    _verifier: Verifier = field(init=False, repr=False, compare=False)
    """Derived once: deriving the public key costs about 12 µs, and the pages that pin the
    keys for the browser's check ask for it on every view."""

    def __post_init__(self) -> None:
        public = self.private_key.public_key()
        object.__setattr__(self, "_verifier", Verifier(self.name, self.key_id, public))

    @classmethod
    def generate(cls, name: str) -> Signer:
        """A new random Ed25519 signer."""
        return cls.from_private_key(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_private_key(cls, name: str, private_key: Ed25519PrivateKey) -> Signer:
        """Signer for an existing Ed25519 private key."""
        if not is_valid_key_name(name):
            raise KeyFormatError(f"invalid key name {name!r}: empty, or has a space or '+'")
        return cls(name, key_id(name, ed25519.raw_public(private_key.public_key())), private_key)

    @classmethod
    def parse(cls, skey: str) -> Signer:
        """Parse ``PRIVATE+KEY+<name>+<hex key id>+<base64 seed>``."""
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[0] != "PRIVATE" or parts[1] != "KEY":
            raise KeyFormatError("signer key must be PRIVATE+KEY+<name>+<hex key id>+<base64 key>")
        _, _, name, hex_id, b64 = parts
        raw = _key_data("signer", name, hex_id, b64)
        if len(raw) != 33:
            raise KeyFormatError(f"Ed25519 seed has {len(raw) - 1} bytes, want 32")
        signer = cls.from_private_key(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        _check_key_id(hex_id, signer.key_id)
        return signer

    def __str__(self) -> str:
        seed = self.private_key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        data = base64.b64encode(bytes([ALG_ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id:08x}+{data}"

    def __repr__(self) -> str:
        return f"Signer(name={self.name!r}, key_id={self.key_id:08x})"

    @property
    def verifier(self) -> Verifier:
        """The matching public verifier."""
        return self._verifier

    def sign(self, message: bytes) -> bytes:
        """Raw 64-byte Ed25519 signature of ``message``."""
        return ed25519.sign(self.private_key, message)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line of a note: key name, key id and the base64 text after the name."""

    name: str
    key_id: int
    base64: str


@dataclass(frozen=True, slots=True)
class Note:
    """An opened note: its text and which signatures were verified."""

    text: str
    sigs: tuple[NoteSignature, ...]
    unverified_sigs: tuple[NoteSignature, ...] = ()

    @property
    def signed_by(self) -> tuple[str, ...]:
        """``name+hexid`` of every verified signature."""
        return tuple(f"{s.name}+{s.key_id:08x}" for s in self.sigs)


def sign_note(text: str, *signers: Signer) -> str:
    """Sign ``text`` (must end with a newline) with every signer; return the whole note."""
    if not text.endswith("\n"):
        raise MalformedNoteError("note text must end with a newline")
    if not signers:
        raise ValueError("sign_note needs at least one signer")
    _check_text(text)
    message = text.encode()
    lines = []
    for s in signers:
        blob = s.key_id.to_bytes(4, "big") + s.sign(message)
        lines.append(f"{_SIG_PREFIX}{s.name} {base64.b64encode(blob).decode()}\n")
    return text + "\n" + "".join(lines)


_CONTROL = re.compile("[\x00-\x09\x0b-\x1f]")
"""Every character below U+0020 but the newline (one search, not a loop over characters:
each receipt is checked as it is signed)."""


def _check_text(msg: str) -> None:
    found = _CONTROL.search(msg)
    if found is not None:
        pos, ch = found.start(), found.group()
        raise MalformedNoteError(f"note has control character U+{ord(ch):04X} at offset {pos}")


def open_note(msg: str | bytes, known: Iterable[Verifier]) -> Note:
    """Parse a signed note and verify its signatures against the ``known`` keys.

    Signatures by unknown keys are kept as unverified; a signature by a known key must be
    valid; at least one known key must have signed.

    Raises:
        MalformedNoteError: not a signed note (the message says what is wrong).
        InvalidSignatureError: a known key's signature does not verify.
        UnverifiedNoteError: no known key signed the note.
        AmbiguousKeyError: ``known`` holds two keys with the same name and key id.
    """
    if isinstance(msg, bytes):
        try:
            msg = msg.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedNoteError(f"note is not valid UTF-8 (byte {exc.start})") from None
    _check_text(msg)

    split = msg.rfind("\n\n")
    if split < 0:
        raise MalformedNoteError("note has no blank line before its signatures")
    text, block = msg[: split + 1], msg[split + 2 :]
    if not block:
        raise MalformedNoteError("note has no signature lines")
    if not block.endswith("\n"):
        raise MalformedNoteError("note's last signature line does not end with a newline")

    verifiers: dict[tuple[str, int], list[Verifier]] = {}
    for v in known:
        verifiers.setdefault((v.name, v.key_id), []).append(v)

    message = text.encode()
    sigs: list[NoteSignature] = []
    unverified: list[NoteSignature] = []
    seen: set[tuple[str, int]] = set()
    seen_unverified: set[str] = set()
    lines = block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise MalformedNoteError(f"note has {len(lines)} signatures, limit {MAX_SIGNATURES}")
    for n, line in enumerate(lines, start=1):
        if not line.startswith(_SIG_PREFIX):
            raise MalformedNoteError(f"signature line {n} does not start with '— '")
        name, sep, b64 = line[len(_SIG_PREFIX) :].partition(" ")
        if not sep or not b64 or not is_valid_key_name(name):
            raise MalformedNoteError(f"signature line {n} is not '— <key name> <base64>'")
        try:
            blob = _b64decode(b64)
        except ValueError as exc:
            raise MalformedNoteError(f"signature line {n}: {exc}") from None
        if len(blob) < 5:
            raise MalformedNoteError(f"signature line {n}: signature is only {len(blob)} bytes")
        kid = int.from_bytes(blob[:4], "big")
        found = verifiers.get((name, kid))
        if found is None:
            if line not in seen_unverified:
                seen_unverified.add(line)
                unverified.append(NoteSignature(name, kid, b64))
            continue
        if len(found) > 1:
            raise AmbiguousKeyError(f"ambiguous key {name}+{kid:08x}")
        if (name, kid) in seen:
            continue
        seen.add((name, kid))
        if not found[0].verify(message, blob[4:]):
            raise InvalidSignatureError(name, kid)
        sigs.append(NoteSignature(name, kid, b64))

    note = Note(text, tuple(sigs), tuple(unverified))
    if not sigs:
        raise UnverifiedNoteError(note)
    return note
