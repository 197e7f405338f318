"""Every key and secret a local run of the platform needs, created once in its keys folder.

Used by ``vmeste dev``, ``vmeste cluster``, ``vmeste keys`` (which writes what production's
Kubernetes Secrets carry) and the tests; each file is created only if missing, never replaced.
"""

from __future__ import annotations

from pathlib import Path

from services.discussions.site_secret import load_site_secret
from shared.identity.keys import SessionKeyRing
from shared.identity.pseudonym import load_pepper
from shared.log.service import load_log_keys

__all__ = ("LOG_SERVICES", "ensure_keys")

LOG_SERVICES = ("polls", "discussions")
"""The services that sign logs, each with its own key ring."""


def ensure_keys(keys_dir: Path) -> list[str]:
    """Create every missing key under ``keys_dir``; return the published verifier keys."""
    keys_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    load_pepper(keys_dir, create=True, environ={})
    SessionKeyRing.load(keys_dir, create=True)
    load_site_secret(keys_dir, create=True)
    published: list[str] = []
    for service in LOG_SERVICES:
        published.extend(load_log_keys(keys_dir, service).verifier_keys())
    return published
