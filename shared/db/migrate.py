"""Apply Piccolo migrations for one component's database, in a child process.

Piccolo finds its engine through the process-wide ``PICCOLO_CONF``; a child process per
component keeps the services' databases apart and lets the launcher, the CLI and the tests
migrate any database URL without importing the services.
"""

from __future__ import annotations

import os
import subprocess
import sys

from shared.components import MIGRATIONS

__all__ = ("PICCOLO_CONFS", "MigrationError", "migrate")

PICCOLO_CONFS = MIGRATIONS
"""Piccolo's configuration module of each component (:mod:`shared.components`)."""


class MigrationError(RuntimeError):
    """Piccolo refused or failed a migration; its output is in the message."""


def migrate(component: str, url: str) -> None:
    """Bring ``component``'s database at ``url`` up to the newest migration."""
    env = {
        **os.environ,
        "PICCOLO_CONF": PICCOLO_CONFS[component],
        f"VMESTE_{component.upper()}_DATABASE_URL": url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise MigrationError(f"migrating {component} at {url} failed:\n{done.stdout}{done.stderr}")
