"""Keeps the cyclic garbage collector off the objects a service built before it serves.

A service's heap at start (modules, routes, templates, connection pools) is hundreds of
thousands of objects that live as long as the process. Each full collection walked all of them:
in ``bench.cast`` every full collection stopped a worker's event loop for 70–140 ms, several
times in a ten-second run, and those pauses were the casts' p99. Frozen, they are left out of
every collection; only what the service creates while serving is walked.
"""

from __future__ import annotations

import gc

__all__ = ("freeze_startup_heap", "thaw_heap")


def freeze_startup_heap() -> None:
    """Move every object alive now out of the collector's generations (O(1): the lists are
    spliced, nothing is walked)."""
    gc.freeze()


def thaw_heap() -> None:
    """Give the frozen objects back to the collector, so that an app stopped in a process that
    goes on (tests, a reload) leaves nothing it cannot collect."""
    gc.unfreeze()
