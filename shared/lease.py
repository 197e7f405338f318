"""A named lease in the service's own database: one holder at a time across all replicas.

Used for the logs integrator and the scheduler. The database, not Redis, holds it, because
both must keep working while Redis is down. A holder renews well within the time to live; if
it dies, another replica takes over once the lease expires (seconds, not minutes).
"""

from __future__ import annotations

import os
import secrets
import socket
import time

import structlog
from piccolo.columns import Float, Varchar
from piccolo.table import Table

__all__ = ("Lease", "make_lease_table")

_log = structlog.get_logger("vmeste.lease")


def make_lease_table() -> type[Table]:
    """A fresh table class per service, so each binds to its own engine."""

    class LeaseRow(Table, tablename="lease"):
        """Who holds each named lease, and until when (seconds since the epoch)."""

        name = Varchar(length=100, primary_key=True, help_text="What the lease guards.")
        holder = Varchar(length=100, help_text="Replica id of the current holder.")
        expires_at = Float(help_text="Unix time after which anyone may take the lease.")

    return LeaseRow


class Lease:
    """One replica's handle on a named lease."""

    def __init__(self, table: type[Table], name: str, ttl_s: float = 3.0) -> None:
        self._table = table
        self.name = name
        self.ttl_s = ttl_s
        # The replica's name (the pod name in Kubernetes) tells an operator who holds it.
        replica = os.environ.get("VMESTE_REPLICA_ID") or socket.gethostname()
        self.holder = f"{replica}-{secrets.token_hex(4)}"

    async def acquire(self) -> bool:
        """Take or renew the lease; True if this replica holds it until now + ttl."""
        now = time.time()
        rows = await self._table.raw(
            "INSERT INTO lease (name, holder, expires_at) VALUES ({}, {}, {}) "
            "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, "
            "expires_at = excluded.expires_at "
            "WHERE lease.holder = excluded.holder OR lease.expires_at < {} "
            "RETURNING holder",
            self.name,
            self.holder,
            now + self.ttl_s,
            now,
        )
        return bool(rows) and rows[0]["holder"] == self.holder

    async def release(self) -> None:
        """Give the lease up at once (graceful shutdown), so a peer takes over immediately.

        Best effort: if the database cannot be reached the lease simply expires.
        """
        try:
            await self._table.raw(
                "UPDATE lease SET expires_at = 0 WHERE name = {} AND holder = {}",
                self.name,
                self.holder,
            )
        except Exception as exc:  # shutting down: never fail the shutdown over this
            _log.warning("lease not released; it will expire", lease=self.name, error=str(exc))

    async def current_holder(self) -> str | None:
        rows = await self._table.raw(
            "SELECT holder FROM lease WHERE name = {} AND expires_at >= {}",
            self.name,
            time.time(),
        )
        return str(rows[0]["holder"]) if rows else None
