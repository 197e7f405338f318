"""A service's domain objects as Litestar dependencies: built once in ``create_app``, kept in
the application state, one dependency per object."""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any

from litestar.datastructures import State
from litestar.di import Provide

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

__all__ = ("state_dependencies",)


def _provider(key: str, name: str) -> Provide:
    # Synchronous and not moved to a thread: reading the state is cheaper than a thread hop,
    # and every request whose handler asks for the object pays it.
    def provide(state: State) -> Any:
        return getattr(getattr(state, key), name)

    return Provide(provide, sync_to_thread=False)


def state_dependencies(key: str, services: type[DataclassInstance]) -> dict[str, Provide]:
    """One dependency per field of the dataclass ``services``, named as the field, taken from
    the instance the application state holds under ``key``."""
    return {f.name: _provider(key, f.name) for f in fields(services)}
