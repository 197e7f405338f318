"""Stored tree state: incremental appends, proofs from stored nodes, sync and async stores."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.log.merkle import (
    EMPTY_ROOT,
    NodeID,
    leaf_hash,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)
from shared.log.tree import (
    MemoryNodeStore,
    MissingNodeError,
    append_leaves,
    append_leaves_async,
    consistency_proof,
    consistency_proof_async,
    inclusion_proof,
    inclusion_proof_async,
    root_at,
    root_at_async,
)


class CountingStore(MemoryNodeStore):
    """Counts node reads, to hold proofs to O(log n) reads."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0
        self.calls = 0

    def get_many(self, ids: Sequence[NodeID]) -> Mapping[NodeID, bytes]:
        self.reads += len(ids)
        self.calls += 1
        return super().get_many(ids)


class AsyncStore:
    """An async store over a dict, standing in for the database one."""

    def __init__(self) -> None:
        self.inner = MemoryNodeStore()

    async def get_many(self, ids: Sequence[NodeID]) -> Mapping[NodeID, bytes]:
        return self.inner.get_many(ids)

    async def put_many(self, nodes: Iterable[tuple[NodeID, bytes]]) -> None:
        self.inner.put_many(nodes)


def hashes(n: int) -> list[bytes]:
    return [leaf_hash(b"e%d" % i) for i in range(n)]


def grow(store: MemoryNodeStore, leaves: list[bytes], batch: int) -> int:
    size = 0
    for i in range(0, len(leaves), batch):
        size, root = append_leaves(store, size, leaves[i : i + batch])
        assert root == root_from_leaf_hashes(leaves[:size])
    return size


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 120), st.integers(1, 17), st.data())
def test_proofs_from_stored_nodes_verify_for_every_earlier_size(
    n: int, batch: int, data: st.DataObject
) -> None:
    leaves = hashes(n)
    store = MemoryNodeStore()
    assert grow(store, leaves, batch) == n
    size = data.draw(st.integers(1, n))
    index = data.draw(st.integers(0, size - 1))
    size1 = data.draw(st.integers(1, size))
    root = root_from_leaf_hashes(leaves[:size])
    assert root_at(store, size) == root
    verify_inclusion(index, size, leaves[index], inclusion_proof(store, index, size), root)
    verify_consistency(
        size1,
        size,
        consistency_proof(store, size1, size),
        root_from_leaf_hashes(leaves[:size1]),
        root,
    )


def test_every_complete_subtree_is_stored_once() -> None:
    store = MemoryNodeStore()
    grow(store, hashes(13), 5)
    # 13 leaves + 6 + 3 + 1 complete interior nodes.
    assert len(store.nodes) == 13 + 6 + 3 + 1


def test_a_proof_reads_logarithmically_many_nodes_in_one_call() -> None:
    store = CountingStore()
    n = 100_003
    grow(store, hashes(n), 4096)
    store.reads = store.calls = 0
    inclusion_proof(store, 12_345, n)
    consistency_proof(store, 777, n)
    assert store.calls == 2
    assert store.reads <= 2 * 2 * n.bit_length()


def test_empty_tree_root() -> None:
    assert root_at(MemoryNodeStore(), 0) == EMPTY_ROOT


def test_missing_nodes_are_reported_not_guessed() -> None:
    store = MemoryNodeStore()
    grow(store, hashes(8), 8)
    del store.nodes[(2, 1)]
    with pytest.raises(MissingNodeError, match=r"first \(level 2, index 1\)"):
        inclusion_proof(store, 0, 8)


def test_proof_beyond_the_stored_size_is_a_missing_node() -> None:
    store = MemoryNodeStore()
    grow(store, hashes(4), 4)
    with pytest.raises(MissingNodeError):
        root_at(store, 6)


async def test_async_store_gives_the_same_results() -> None:
    leaves = hashes(37)
    sync = MemoryNodeStore()
    grow(sync, leaves, 6)
    store = AsyncStore()
    size = 0
    for i in range(0, 37, 6):
        size, _ = await append_leaves_async(store, size, leaves[i : i + 6])
    assert store.inner.nodes == sync.nodes
    assert await root_at_async(store, 30) == root_at(sync, 30)
    assert await inclusion_proof_async(store, 3, 30) == inclusion_proof(sync, 3, 30)
    assert await consistency_proof_async(store, 7, 37) == consistency_proof(sync, 7, 37)
