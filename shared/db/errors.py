"""Telling "the database is down or full" apart from bugs.

The first is answered 503 with Retry-After and retried by background loops quietly; the
second is a 500 and a logged traceback.
"""

from __future__ import annotations

import errno
import sqlite3

import asyncpg

__all__ = ("dependency_down",)

_UNAVAILABLE_ERRNOS = frozenset({errno.ENOSPC, errno.ECONNREFUSED, errno.ECONNRESET, errno.EIO})


def dependency_down(exc: BaseException) -> bool:
    """True when ``exc`` (or its cause) means the database could not be reached or written:
    the client should retry later (503), not report a bug (500)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionError | TimeoutError | asyncpg.PostgresConnectionError):
            return True
        if isinstance(seen, asyncpg.InterfaceError | asyncpg.CannotConnectNowError):
            return True
        if isinstance(seen, asyncpg.AdminShutdownError | asyncpg.ConnectionFailureError):
            return True
        if isinstance(seen, asyncpg.CrashShutdownError | asyncpg.InsufficientResourcesError):
            return True  # the server crashed, or is out of disk, memory or connections
        if isinstance(seen, asyncpg.InternalClientError):
            # The driver's protocol state broke because the server went away mid-operation
            # (seen when a pooled connection is reset while PostgreSQL shuts down).
            return True
        if isinstance(seen, sqlite3.OperationalError) and any(
            sign in str(seen).lower()
            for sign in ("disk", "locked", "unable to open", "readonly", "i/o")
        ):
            return True
        if isinstance(seen, OSError) and seen.errno in _UNAVAILABLE_ERRNOS:
            return True
        seen = seen.__cause__ or seen.__context__
    return False
