"""The pseudonymous subject: ``sub = HMAC-SHA256(pepper, oid)`` in hex.

The pepper is the only thing linking a ``sub`` back to a Gosuslugi account; without it the
services' databases, logs and boards identify nobody. It comes from ``VMESTE_PEPPER`` (a
Kubernetes Secret in production) or, in development only, from a file generated into the keys
folder on first start.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from shared.config import MissingSettingError
from shared.secret_files import secret_once

__all__ = ("MIN_PEPPER_BYTES", "PEPPER_FILE", "derived_secret", "load_pepper", "pseudonym")

PEPPER_FILE = "pepper"
MIN_PEPPER_BYTES = 32


def pseudonym(pepper: bytes, oid: str) -> str:
    """The platform-wide pseudonym of an ESIA subject id."""
    return hmac.new(pepper, oid.encode(), hashlib.sha256).hexdigest()


def derived_secret(pepper: bytes, label: str) -> bytes:
    """A 32-byte secret for one other purpose (``label``), so that purpose never holds the
    pepper itself. Labels contain a NUL byte, which no ESIA oid does: no derived secret is
    ever someone's pseudonym."""
    return hmac.new(pepper, b"\x00" + label.encode(), hashlib.sha256).digest()


def _checked(name: str, value: bytes) -> bytes:
    if len(value) < MIN_PEPPER_BYTES:
        raise MissingSettingError(name, f"must be at least {MIN_PEPPER_BYTES} bytes long")
    return value


def load_pepper(keys_dir: Path, *, create: bool, environ: Mapping[str, str] = os.environ) -> bytes:
    """``VMESTE_PEPPER`` if set, else ``keys_dir/pepper``; generated only when ``create``
    (development), because a new pepper in production would turn everyone into strangers."""
    from_env = environ.get("VMESTE_PEPPER", "")
    if from_env:
        return _checked("VMESTE_PEPPER", from_env.encode())
    path = keys_dir / PEPPER_FILE
    if not create and not path.exists():
        raise MissingSettingError(
            "VMESTE_PEPPER", f"is required (or a pepper file at {path}) outside development"
        )
    return _checked(str(path), secret_once(path, lambda: secrets.token_hex(32).encode()).strip())
