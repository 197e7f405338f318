"""Dependencies that cannot wait on anything are resolved in a row, not in a task group.

Litestar resolves the independent dependencies of a handler together in an anyio task group,
one task each. That pays off for dependencies that wait on I/O; ours are synchronous functions
(the domain services from the application state, who is signed in, the checked form), which
run to their end without yielding, so the tasks add only their cost: about 70 µs for a page
with three of them, a tenth of its time (Litestar issue #4563). A batch whose every
dependency is synchronous (not moved to a thread) is resolved one after the other, in the
order the task group would have started them; any other batch goes to Litestar as before. The
first exception raised is the one the handler sees, as with the task group.
"""

from __future__ import annotations

from typing import Any

from anyio import create_task_group
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import DependencyContainer, resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection

__all__ = ("resolve_synchronous_batches_in_a_row",)


def _synchronous(batch: set[DependencyContainer]) -> bool:
    return all(dependency.provide.has_sync_callable for dependency in batch)


async def _resolve_dependencies(
    self: KwargsModel, connection: ASGIConnection[Any, Any, Any, Any], kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        if len(batch) == 1 or _synchronous(batch):
            for dependency in batch:
                await resolve_dependency(dependency, connection, kwargs, cleanup_group)
            continue
        # What Litestar does with every batch of more than one (kwargs_model.py).
        try:
            async with create_task_group() as task_group:
                for dependency in batch:
                    task_group.start_soon(
                        resolve_dependency, dependency, connection, kwargs, cleanup_group
                    )
        except ExceptionGroup as group:
            raise group.exceptions[0] from group
    return cleanup_group


def resolve_synchronous_batches_in_a_row() -> None:
    """Install the in-a-row resolution for every app of this process (idempotent)."""
    KwargsModel.resolve_dependencies = _resolve_dependencies  # type: ignore[method-assign]
