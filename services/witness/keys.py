"""The witness's one signing key: ``<keys folder>/witness.key``, created on first start.

The file holds the signer key string ``PRIVATE+KEY+<name>+<hex id>+<base64(0x04 ‖ seed)>``
(C2SP tlog-cosignature) and a newline, mode 0600: the same text a Kubernetes Secret can carry
in ``VMESTE_WITNESS_KEY`` instead. A witness has one key for life: its verifier key is what
logs, auditors and browsers pin, so it is never replaced here.
"""

from __future__ import annotations

from pathlib import Path

from shared.config import MissingSettingError
from shared.log.cosignature import WitnessSigner
from shared.log.note import KeyFormatError, is_valid_key_name
from shared.secret_files import secret_once

__all__ = ("KEY_FILE", "load_witness_signer")

KEY_FILE = "witness.key"


def _checked_name(signer: WitnessSigner, name: str | None, source: str) -> WitnessSigner:
    if name is not None and signer.name != name:
        raise MissingSettingError(
            "VMESTE_WITNESS_NAME",
            f"is {name!r} but the key in {source} is named {signer.name!r}; a witness keeps "
            "its name and key for life (unset the variable, or use another keys folder)",
        )
    return signer


def load_witness_signer(
    keys_dir: Path, name: str | None, signer_key: str | None = None, *, default_name: str
) -> WitnessSigner:
    """The witness's signer: ``signer_key`` if given, else the key file, created (named
    ``name`` or ``default_name``) when missing.

    Raises:
        MissingSettingError: the key is unreadable or named otherwise than ``name``.
    """
    if name is not None and not is_valid_key_name(name):
        raise MissingSettingError(
            "VMESTE_WITNESS_NAME", f"{name!r} is not a key name (no spaces, no '+')"
        )
    if signer_key is not None:
        try:
            return _checked_name(WitnessSigner.parse(signer_key), name, "VMESTE_WITNESS_KEY")
        except KeyFormatError as exc:
            raise MissingSettingError("VMESTE_WITNESS_KEY", str(exc)) from None
    path = keys_dir / KEY_FILE
    # Several granian workers may start at once: they share the one key written first.
    key = secret_once(path, lambda: f"{WitnessSigner.generate(name or default_name)}\n".encode())
    try:
        signer = WitnessSigner.parse(key.decode())
    except KeyFormatError as exc:
        raise MissingSettingError("VMESTE_KEYS_DIR", f"{path}: {exc}") from None
    return _checked_name(signer, name, str(path))
