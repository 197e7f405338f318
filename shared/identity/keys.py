"""The session signing key ring: Ed25519 keys, each named by a key id carried in ``kid``.

One key signs (``current``); older keys stay for verification until the sessions they signed
have expired, so a rotation never signs anyone out. Files live in ``<keys_dir>/session/``:
``<kid>.pem`` (PKCS#8) and ``current`` (the signing kid). In development they are generated
on first start; in production the folder is a mounted Kubernetes Secret.

Only the component that issues sessions (the one serving ``/auth``) holds the private keys.
A service that only verifies sessions holds their public halves, ``<kid>.pub`` (PEM
SubjectPublicKeyInfo, written by ``vmeste keys public``), in a folder of the same name: a
break-in there can read sessions' signatures but not forge one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from shared import ed25519
from shared.config import MissingSettingError
from shared.secret_files import locked_folder, write_secret

__all__ = (
    "PublicSessionKeyRing",
    "SessionKeyRing",
    "export_public_keys",
    "key_id",
    "rotate_session_key",
)

_FOLDER = "session"
_CURRENT = "current"
_PUBLIC_SUFFIX = ".pub"


def key_id(public_key: Ed25519PublicKey) -> str:
    return "session-" + hashlib.sha256(ed25519.raw_public(public_key)).hexdigest()[:16]


def _new_key(folder: Path) -> str:
    key = Ed25519PrivateKey.generate()
    kid = key_id(key.public_key())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    write_secret(folder / f"{kid}.pem", pem)
    write_secret(folder / _CURRENT, kid.encode())
    return kid


def rotate_session_key(keys_dir: Path) -> str:
    """Generate a new signing key and make it current; returns its key id."""
    folder = keys_dir / _FOLDER
    with locked_folder(folder):
        return _new_key(folder)


@dataclass(frozen=True, slots=True)
class SessionKeyRing:
    current_kid: str
    signing_key: Ed25519PrivateKey
    public_keys: Mapping[str, Ed25519PublicKey]

    @classmethod
    def load(cls, keys_dir: Path, *, create: bool) -> SessionKeyRing:
        folder = keys_dir / _FOLDER
        if not (folder / _CURRENT).exists():
            if not create:
                raise MissingSettingError(
                    "VMESTE_KEYS_DIR", f"has no session signing key in {folder}"
                )
            with locked_folder(folder):
                if not (folder / _CURRENT).exists():
                    _new_key(folder)
        current = (folder / _CURRENT).read_text().strip()
        private: dict[str, Ed25519PrivateKey] = {}
        for path in sorted(folder.glob("*.pem")):
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            if not isinstance(key, Ed25519PrivateKey):
                raise MissingSettingError("VMESTE_KEYS_DIR", f"{path} is not an Ed25519 key")
            if key_id(key.public_key()) != path.stem:
                raise MissingSettingError("VMESTE_KEYS_DIR", f"{path} does not match its key id")
            private[path.stem] = key
        if current not in private:
            raise MissingSettingError("VMESTE_KEYS_DIR", f"current key {current} is missing")
        return cls(
            current_kid=current,
            signing_key=private[current],
            public_keys={kid: key.public_key() for kid, key in private.items()},
        )

    @property
    def public(self) -> PublicSessionKeyRing:
        """The verification half of the ring, holding nothing that signs."""
        return PublicSessionKeyRing(public_keys=self.public_keys)


@dataclass(frozen=True, slots=True)
class PublicSessionKeyRing:
    """Session keys that verify and cannot sign: what a verify-only service holds."""

    public_keys: Mapping[str, Ed25519PublicKey]

    @classmethod
    def load(cls, keys_dir: Path) -> PublicSessionKeyRing:
        """The ``<kid>.pub`` files of ``<keys_dir>/session``.

        A private key found there is refused rather than ignored: it would mean the
        deployment gave this service the power to issue sessions it must not have."""
        folder = keys_dir / _FOLDER
        if any(folder.glob("*.pem")):
            raise MissingSettingError(
                "VMESTE_KEYS_DIR",
                f"{folder} holds private session keys, but this service only verifies "
                "sessions: give it the public keys (vmeste keys public)",
            )
        public: dict[str, Ed25519PublicKey] = {}
        for path in sorted(folder.glob(f"*{_PUBLIC_SUFFIX}")):
            try:
                key = serialization.load_pem_public_key(path.read_bytes())
            except ValueError:
                raise MissingSettingError("VMESTE_KEYS_DIR", f"{path} is not a PEM key") from None
            if not isinstance(key, Ed25519PublicKey):
                raise MissingSettingError("VMESTE_KEYS_DIR", f"{path} is not an Ed25519 key")
            if key_id(key) != path.name.removesuffix(_PUBLIC_SUFFIX):
                raise MissingSettingError("VMESTE_KEYS_DIR", f"{path} does not match its key id")
            public[key_id(key)] = key
        if not public:
            raise MissingSettingError(
                "VMESTE_KEYS_DIR", f"has no public session key (<kid>{_PUBLIC_SUFFIX}) in {folder}"
            )
        return cls(public_keys=public)


def export_public_keys(keys_dir: Path, out: Path) -> list[Path]:
    """Write ``<kid>.pub`` into ``out`` for every key of the ring in ``keys_dir``; the paths.

    Every key, not only the current one: tokens signed by a key before its rotation must keep
    verifying until they expire."""
    ring = SessionKeyRing.load(keys_dir, create=False)
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for kid, key in sorted(ring.public_keys.items()):
        path = out / f"{kid}{_PUBLIC_SUFFIX}"
        path.write_bytes(
            key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        written.append(path)
    return written
