"""The discussions service's own secret: what its CSRF tokens and abuse-counter names derive
from, so that it needs neither the pepper nor anything of the sign-in component.

32 random bytes in ``<keys_dir>/discussions-secret``: generated on first start in
development, a mounted Kubernetes Secret in production (``vmeste keys`` writes one). Losing or
replacing it costs little: open page forms must be reloaded and the abuse counters start over.
"""

from __future__ import annotations

import secrets
from pathlib import Path

from shared.config import MissingSettingError
from shared.secret_files import secret_once

__all__ = ("SECRET_FILE", "load_site_secret")

SECRET_FILE = "discussions-secret"  # noqa: S105 - a file name, not a secret
_SIZE = 32


def load_site_secret(keys_dir: Path, *, create: bool) -> bytes:
    """The secret; created only when ``create`` (development), else its absence stops the
    service at start, naming where it was looked for."""
    path = keys_dir / SECRET_FILE
    if not create and not path.exists():
        raise MissingSettingError(
            "VMESTE_KEYS_DIR", f"has no discussions secret at {path} (vmeste keys makes one)"
        )
    data = secret_once(path, lambda: secrets.token_bytes(_SIZE))
    if len(data) != _SIZE:
        raise MissingSettingError("VMESTE_KEYS_DIR", f"{path} must hold {_SIZE} bytes")
    return data
