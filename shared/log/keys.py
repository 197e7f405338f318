"""Key ring: the active signing key plus retired ones kept so old signatures still verify.

On disk a key ring is a folder (mode 0700) holding:

* ``<8 hex key id>.key`` — one signer key string ``PRIVATE+KEY+<name>+<id>+<base64>`` and a
  newline, mode 0600; the same text a Kubernetes Secret can carry;
* ``ACTIVE`` — the hex key id of the key that signs new notes.

Rotation writes the new key, then switches ``ACTIVE`` with an atomic rename, so a crash leaves
either the old or the new key active, never none.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from shared.log.note import KeyFormatError, Signer, Verifier
from shared.secret_files import write_secret

__all__ = ("KeyRing", "KeyRingError")

_ACTIVE = "ACTIVE"


class KeyRingError(RuntimeError):
    """The key folder is missing, empty or inconsistent; the message names the file."""


class KeyRing:
    """Signers by key id, one of them active."""

    __slots__ = ("_active", "_signers")

    def __init__(self, signers: Iterable[Signer], active_key_id: int) -> None:
        self._signers = {s.key_id: s for s in signers}
        if active_key_id not in self._signers:
            raise KeyRingError(f"active key {active_key_id:08x} is not in the key ring")
        self._active = active_key_id

    @classmethod
    def from_signer_keys(cls, keys: Iterable[str], active: str | None = None) -> KeyRing:
        """Key ring from signer key strings (e.g. a Secret); the first, or ``active``
        (a hex key id), signs."""
        signers = [Signer.parse(k.strip()) for k in keys if k.strip()]
        if not signers:
            raise KeyRingError("no signer keys given")
        return cls(signers, int(active, 16) if active else signers[0].key_id)

    @property
    def active(self) -> Signer:
        """The signer for new notes."""
        return self._signers[self._active]

    @property
    def signers(self) -> tuple[Signer, ...]:
        """Every signer, the active one first."""
        rest = [s for k, s in sorted(self._signers.items()) if k != self._active]
        return (self.active, *rest)

    def verifiers(self) -> tuple[Verifier, ...]:
        """Public verifiers of every key, active first."""
        return tuple(s.verifier for s in self.signers)

    def verifier_keys(self) -> tuple[str, ...]:
        """Published verifier key strings of every key, active first."""
        return tuple(str(v) for v in self.verifiers())

    def rotate(self, name: str | None = None, folder: Path | None = None) -> Signer:
        """Generate a new active key (same key name unless ``name``); keep the old ones.

        With ``folder``, the new key is saved there before it becomes active.
        """
        signer = Signer.generate(name or self.active.name)
        self._signers[signer.key_id] = signer
        if folder is not None:
            write_secret(folder / f"{signer.key_id:08x}.key", f"{signer}\n".encode())
            write_secret(folder / _ACTIVE, f"{signer.key_id:08x}\n".encode())
        self._active = signer.key_id
        return signer

    def save(self, folder: Path) -> None:
        """Write every key (mode 0600) and the active id into ``folder`` (created 0700)."""
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        for signer in self._signers.values():
            write_secret(folder / f"{signer.key_id:08x}.key", f"{signer}\n".encode())
        write_secret(folder / _ACTIVE, f"{self._active:08x}\n".encode())

    @classmethod
    def load(cls, folder: Path) -> KeyRing:
        """Read a key ring saved by :meth:`save`.

        Raises:
            KeyRingError: naming the unreadable or inconsistent file.
        """
        active_file = folder / _ACTIVE
        if not active_file.is_file():
            raise KeyRingError(f"{active_file} is missing: not a key ring folder")
        signers = []
        for path in sorted(folder.glob("*.key")):
            try:
                signer = Signer.parse(path.read_text().strip())
            except KeyFormatError as exc:
                raise KeyRingError(f"{path}: {exc}") from None
            if path.stem != f"{signer.key_id:08x}":
                raise KeyRingError(f"{path}: holds key {signer.key_id:08x}, not {path.stem}")
            signers.append(signer)
        active_text = active_file.read_text().strip()
        try:
            active = int(active_text, 16)
        except ValueError:
            raise KeyRingError(f"{active_file}: {active_text!r} is not a hex key id") from None
        return cls(signers, active)

    @classmethod
    def load_or_create(cls, folder: Path, name: str) -> KeyRing:
        """Load the key ring in ``folder``, or create one with a new key named ``name``
        (the development default: keys generated into a local data folder on first start)."""
        if (folder / _ACTIVE).exists():
            return cls.load(folder)
        signer = Signer.generate(name)
        ring = cls([signer], signer.key_id)
        ring.save(folder)
        return ring
