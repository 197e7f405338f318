"""The platform's components, declared once: what serves each one (its application factory,
as granian loads it) and what migrates its database (its Piccolo configuration module).

Named by import path, not imported: the launcher, the cluster, the migration runner and the
tests start and migrate components in child processes without loading them here.
"""

from __future__ import annotations

__all__ = ("APPS", "MIGRATIONS", "PLATFORM_SERVICES")

PLATFORM_SERVICES = ("polls", "discussions")
"""The services a citizen uses; the witness is run by others, beside them."""

APPS: dict[str, str] = {
    "polls": "services.polls.app:create_app",
    "discussions": "services.discussions.app:create_app",
    "witness": "services.witness.app:create_app",
}

MIGRATIONS: dict[str, str] = {
    "identity": "shared.identity.piccolo_conf",
    "polls": "services.polls.piccolo_conf",
    "discussions": "services.discussions.piccolo_conf",
    "witness": "services.witness.piccolo_conf",
}
