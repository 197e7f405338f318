"""Storage-agnostic log tree: complete-subtree node hashes kept in a :class:`NodeStore`.

Every complete subtree ``(level, index)`` is stored once, when it becomes complete, and never
changes afterwards (the log is append-only). Hence:

* the root of any size ``s`` is the right fold of the ``popcount(s)`` nodes of
  :func:`~shared.log.merkle.range_nodes` ``(0, s)``;
* an inclusion or consistency proof for any size up to the current one reads ``O(log n)``
  stored nodes and hashes at most ``O(log n)`` of them: nothing rehashes the log;
* appending a batch of ``m`` leaves reads the ``O(log n)`` border nodes and writes ``~2m``
  new nodes in one ``put_many``.

Sync core, async edge: the maths is pure (plan which nodes to read, then combine what was
read), so each operation exists twice as a three-line driver, ``append_leaves`` /
``inclusion_proof`` / ... over a :class:`NodeStore` and ``*_async`` twins over an
:class:`AsyncNodeStore` (what a database-backed store implements). A store must return every
node it was asked for; a missing node is a broken store and raises :class:`MissingNodeError`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from shared.log.merkle import (
    EMPTY_ROOT,
    CompactRange,
    NodeID,
    ProofPlan,
    consistency_plan,
    inclusion_plan,
    range_nodes,
)

__all__ = (
    "AsyncNodeStore",
    "MemoryNodeStore",
    "MissingNodeError",
    "NodeStore",
    "append_leaves",
    "append_leaves_async",
    "consistency_proof",
    "consistency_proof_async",
    "inclusion_proof",
    "inclusion_proof_async",
    "root_at",
    "root_at_async",
)


class MissingNodeError(LookupError):
    """The store lacks a node that must exist for the requested size: the store is damaged or
    the size is beyond what was appended."""


class NodeStore(Protocol):
    """Synchronous storage of complete-subtree hashes keyed by ``(level, index)``."""

    def get_many(self, ids: Sequence[NodeID]) -> Mapping[NodeID, bytes]:
        """Hashes of the nodes in ``ids`` that exist (missing ones are simply absent)."""
        ...

    def put_many(self, nodes: Iterable[tuple[NodeID, bytes]]) -> None:
        """Store new nodes; writing an existing id again with the same hash is harmless."""
        ...


class AsyncNodeStore(Protocol):
    """The same contract as :class:`NodeStore` for stores that do I/O (e.g. a database)."""

    async def get_many(self, ids: Sequence[NodeID]) -> Mapping[NodeID, bytes]:
        """Hashes of the nodes in ``ids`` that exist (missing ones are simply absent)."""
        ...

    async def put_many(self, nodes: Iterable[tuple[NodeID, bytes]]) -> None:
        """Store new nodes; writing an existing id again with the same hash is harmless."""
        ...


class MemoryNodeStore:
    """A dict-backed :class:`NodeStore` for tests, tools and small logs."""

    __slots__ = ("nodes",)

    def __init__(self) -> None:
        self.nodes: dict[NodeID, bytes] = {}

    def get_many(self, ids: Sequence[NodeID]) -> Mapping[NodeID, bytes]:
        nodes = self.nodes
        return {i: nodes[i] for i in ids if i in nodes}

    def put_many(self, nodes: Iterable[tuple[NodeID, bytes]]) -> None:
        self.nodes.update(nodes)


def _require(ids: Sequence[NodeID], got: Mapping[NodeID, bytes]) -> Mapping[NodeID, bytes]:
    missing = [i for i in ids if i not in got]
    if missing:
        level, index = missing[0]
        raise MissingNodeError(
            f"node store lacks {len(missing)} node(s), first (level {level}, index {index})"
        )
    return got


def _grow(
    size: int, border: Mapping[NodeID, bytes], leaf_hashes: Sequence[bytes]
) -> tuple[CompactRange, list[tuple[NodeID, bytes]]]:
    cr = CompactRange.from_nodes(size, [border[i] for i in range_nodes(0, size)])
    new: list[tuple[NodeID, bytes]] = []

    def sink(level: int, first: int, hashes: list[bytes]) -> None:
        new.extend(((level, first + k), h) for k, h in enumerate(hashes))

    cr.extend(leaf_hashes, sink)
    return cr, new


def _root(size: int, got: Mapping[NodeID, bytes]) -> bytes:
    if size == 0:
        return EMPTY_ROOT
    return ProofPlan(((*range_nodes(0, size),),)).assemble(got)[0]


def append_leaves(store: NodeStore, size: int, leaf_hashes: Sequence[bytes]) -> tuple[int, bytes]:
    """Append leaf hashes to the tree of ``size`` leaves; return ``(new_size, new_root)``.

    Only one writer per log may call this (the integrator holds the lease); two concurrent
    appends at the same size would write conflicting nodes.
    """
    ids = range_nodes(0, size)
    cr, new = _grow(size, _require(ids, store.get_many(ids)), leaf_hashes)
    store.put_many(new)
    return cr.size, cr.root()


async def append_leaves_async(
    store: AsyncNodeStore, size: int, leaf_hashes: Sequence[bytes]
) -> tuple[int, bytes]:
    """Async twin of :func:`append_leaves`."""
    ids = range_nodes(0, size)
    cr, new = _grow(size, _require(ids, await store.get_many(ids)), leaf_hashes)
    await store.put_many(new)
    return cr.size, cr.root()


def root_at(store: NodeStore, size: int) -> bytes:
    """Root hash of the tree's first ``size`` leaves."""
    ids = range_nodes(0, size)
    return _root(size, _require(ids, store.get_many(ids)))


async def root_at_async(store: AsyncNodeStore, size: int) -> bytes:
    """Async twin of :func:`root_at`."""
    ids = range_nodes(0, size)
    return _root(size, _require(ids, await store.get_many(ids)))


def inclusion_proof(store: NodeStore, index: int, size: int) -> list[bytes]:
    """Inclusion proof of leaf ``index`` in the tree of ``size`` leaves (RFC 9162 §2.1.3)."""
    plan = inclusion_plan(index, size)
    ids = plan.node_ids
    return plan.assemble(_require(ids, store.get_many(ids)))


async def inclusion_proof_async(store: AsyncNodeStore, index: int, size: int) -> list[bytes]:
    """Async twin of :func:`inclusion_proof`."""
    plan = inclusion_plan(index, size)
    ids = plan.node_ids
    return plan.assemble(_require(ids, await store.get_many(ids)))


def consistency_proof(store: NodeStore, size1: int, size2: int) -> list[bytes]:
    """Consistency proof from tree size ``size1`` to ``size2`` (RFC 9162 §2.1.4)."""
    plan = consistency_plan(size1, size2)
    ids = plan.node_ids
    return plan.assemble(_require(ids, store.get_many(ids)))


async def consistency_proof_async(store: AsyncNodeStore, size1: int, size2: int) -> list[bytes]:
    """Async twin of :func:`consistency_proof`."""
    plan = consistency_plan(size1, size2)
    ids = plan.node_ids
    return plan.assemble(_require(ids, await store.get_many(ids)))
