"""Merkle tree maths of RFC 9162 §2.1 (same hashing as RFC 6962), pure and storage-free.

Spec: https://www.rfc-editor.org/rfc/rfc9162#section-2.1

* leaf hash ``SHA-256(0x00 ‖ entry)``, node hash ``SHA-256(0x01 ‖ left ‖ right)``;
* the tree over ``n`` leaves is left-balanced: its left subtree holds the largest power of two
  smaller than ``n`` leaves;
* a *node id* ``(level, index)`` names the complete subtree over leaves
  ``[index · 2^level, (index + 1) · 2^level)``; level 0 nodes are the leaf hashes.

Proof verification is a faithful port of transparency-dev/merkle ``proof/verify.go``; proof
generation is split into a plan (which complete-subtree nodes are needed) and an assembly step
so that any node store, sync or async, can serve proofs with ``O(log n)`` node reads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = (
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "NodeID",
    "NodeSink",
    "ProofError",
    "ProofPlan",
    "ProofSizeError",
    "RootMismatchError",
    "consistency_plan",
    "inclusion_plan",
    "leaf_hash",
    "node_hash",
    "range_nodes",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_from_leaf_hashes",
    "verify_consistency",
    "verify_inclusion",
)

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""Root of the empty tree: SHA-256 of the empty string (RFC 9162 §2.1.1)."""

NodeID = tuple[int, int]
"""``(level, index)`` of a complete subtree."""

_sha256 = hashlib.sha256
_MAX_SIZE = 1 << 64


class ProofError(ValueError):
    """A proof, or the sizes and hashes given with it, cannot be valid."""


class ProofSizeError(ProofError):
    """The proof has the wrong number of hashes for the sizes and index given."""

    def __init__(self, got: int, want: int) -> None:
        super().__init__(f"wrong proof size {got}, want {want}")
        self.got = got
        self.want = want


class RootMismatchError(ProofError):
    """The root recomputed from the proof differs from the expected root."""

    def __init__(self, calculated: bytes, expected: bytes) -> None:
        super().__init__(f"root mismatch: calculated {calculated.hex()}, expected {expected.hex()}")
        self.calculated = calculated
        self.expected = expected


def leaf_hash(entry: bytes) -> bytes:
    """RFC 9162 leaf hash of one log entry."""
    return _sha256(b"\x00" + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """RFC 9162 hash of an interior node from its two children."""
    return _sha256(b"\x01" + left + right).digest()


def _pair_up(hashes: list[bytes]) -> list[bytes]:
    # A list comprehension over one shared iterator is the fastest pure-Python pairing measured
    # (no slicing copies); the audit's speed budget depends on it.
    it = iter(hashes)
    sha = _sha256
    return [sha(b"\x01" + a + b).digest() for a, b in zip(it, it, strict=False)]


NodeSink = Callable[[int, int, list[bytes]], None]
"""Receives ``(level, first_index, hashes)`` for runs of newly completed nodes; it must copy
what it keeps, since the list is reused as soon as it returns."""


class CompactRange:
    """The right border of a growing tree: one complete-subtree hash per set bit of its size.

    Appending costs amortised one node hash per leaf and memory stays ``O(log n)``, which is
    what lets an auditor recompute the root of a million-entry log while streaming it.
    """

    __slots__ = ("_border", "_size")

    def __init__(self) -> None:
        self._size = 0
        # _border[level] is the hash of the complete subtree at that level which is still
        # waiting for its right sibling, or None when bit ``level`` of the size is clear.
        self._border: list[bytes | None] = []

    @classmethod
    def from_nodes(cls, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Rebuild the range of a tree of ``size`` leaves from the hashes of
        :func:`range_nodes` ``(0, size)``, in that order."""
        ids = range_nodes(0, size)
        if len(hashes) != len(ids):
            raise ValueError(f"need {len(ids)} border hashes for size {size}, got {len(hashes)}")
        cr = cls()
        cr._size = size
        cr._border = [None] * size.bit_length()
        for (level, _), h in zip(ids, hashes, strict=True):
            cr._border[level] = h
        return cr

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def extend(self, leaf_hashes: Sequence[bytes], sink: NodeSink | None = None) -> None:
        """Append leaf hashes; ``sink`` (if given) sees every node that became complete."""
        start = self._size
        hashes = list(leaf_hashes)
        self._size += len(hashes)
        border = self._border
        level = 0
        while hashes:
            if sink is not None:
                sink(level, start >> level, hashes)
            if level == len(border):
                border.append(None)
            waiting = border[level]
            if waiting is not None:
                hashes.insert(0, waiting)
            if len(hashes) & 1:
                border[level] = hashes.pop()
            else:
                border[level] = None
            hashes = _pair_up(hashes)
            level += 1

    def append(self, leaf: bytes) -> None:
        """Append a single leaf hash."""
        self.extend((leaf,))

    def root(self) -> bytes:
        """Root hash of the tree over all leaves appended so far."""
        acc: bytes | None = None
        for h in self._border:
            if h is not None:
                acc = h if acc is None else _sha256(b"\x01" + h + acc).digest()
        return EMPTY_ROOT if acc is None else acc


def root_from_leaf_hashes(leaf_hashes: Iterable[bytes], batch: int = 4096) -> bytes:
    """Root hash of the tree over ``leaf_hashes``, streamed in batches with ``O(log n)`` memory."""
    cr = CompactRange()
    buf: list[bytes] = []
    for h in leaf_hashes:
        buf.append(h)
        if len(buf) == batch:
            cr.extend(buf)
            buf = []
    cr.extend(buf)
    return cr.root()


def range_nodes(begin: int, end: int) -> list[NodeID]:
    """Complete-subtree node ids covering leaves ``[begin, end)``, left to right.

    The tree over ``[begin, end)`` hashes these nodes folded from the right, which is exactly
    the RFC 9162 subtree hash whenever ``[begin, end)`` is a subtree of some larger tree.
    """
    if not 0 <= begin <= end:
        raise ValueError(f"bad leaf range [{begin}, {end})")
    ids: list[NodeID] = []
    while begin < end:
        # The largest aligned complete subtree starting at ``begin`` that fits in the range.
        level = (begin & -begin).bit_length() - 1 if begin else (end - begin).bit_length() - 1
        while begin + (1 << level) > end:
            level -= 1
        ids.append((level, begin >> level))
        begin += 1 << level
    return ids


@dataclass(frozen=True, slots=True)
class ProofPlan:
    """The nodes a proof needs and how they combine into its hashes.

    ``groups[i]`` lists the node ids whose right fold is the ``i``-th proof hash; every group
    but at most one holds a single node, so a proof reads ``O(log n)`` nodes.
    """

    groups: tuple[tuple[NodeID, ...], ...]

    @property
    def node_ids(self) -> list[NodeID]:
        """Every node id to read, without duplicates, in proof order."""
        return list(dict.fromkeys(i for g in self.groups for i in g))

    def assemble(self, nodes: Mapping[NodeID, bytes]) -> list[bytes]:
        """Proof hashes from the node hashes read for :attr:`node_ids`."""
        proof: list[bytes] = []
        for group in self.groups:
            acc = nodes[group[-1]]
            for nid in reversed(group[:-1]):
                acc = node_hash(nodes[nid], acc)
            proof.append(acc)
        return proof


def _largest_power_of_two_below(n: int) -> int:
    return 1 << ((n - 1).bit_length() - 1)


def _plan(ranges: list[tuple[int, int]]) -> ProofPlan:
    ranges.reverse()  # the descent found them top-down; proofs list them bottom-up
    return ProofPlan(tuple(tuple(range_nodes(b, e)) for b, e in ranges))


def inclusion_plan(index: int, size: int) -> ProofPlan:
    """Plan of the inclusion proof of leaf ``index`` in the tree of ``size`` leaves
    (RFC 9162 §2.1.3.1, PATH)."""
    if not 0 <= index < size:
        raise ProofError(f"index is beyond size: {index} >= {size}")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:
        k = _largest_power_of_two_below(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo += k
    return _plan(ranges)


def consistency_plan(size1: int, size2: int) -> ProofPlan:
    """Plan of the consistency proof between tree sizes ``size1 <= size2``
    (RFC 9162 §2.1.4.1, SUBPROOF); empty when ``size1`` is 0 or equal to ``size2``."""
    if not 0 <= size1 <= size2:
        raise ProofError(f"size2 ({size2}) < size1 ({size1})")
    ranges: list[tuple[int, int]] = []
    if 0 < size1 < size2:
        lo, hi, m, whole = 0, size2, size1, True
        while m != hi - lo:
            k = _largest_power_of_two_below(hi - lo)
            if m <= k:
                ranges.append((lo + k, hi))
                hi = lo + k
            else:
                ranges.append((lo, lo + k))
                lo += k
                m -= k
                whole = False
        if not whole:
            ranges.append((lo, hi))
    return _plan(ranges)


# --- verification: port of transparency-dev/merkle proof/verify.go -------------------------


def _check_sizes(*values: int) -> None:
    for v in values:
        if not 0 <= v < _MAX_SIZE:
            raise ProofError(f"size or index {v} outside 0..2^64-1")


def _decomp_incl_proof(index: int, size: int) -> tuple[int, int]:
    inner = (index ^ (size - 1)).bit_length()
    border = (index >> inner).bit_count()
    return inner, border


def _chain_inner(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        seed = node_hash(seed, h) if (index >> i) & 1 == 0 else node_hash(h, seed)
    return seed


def _chain_inner_right(seed: bytes, proof: Sequence[bytes], index: int) -> bytes:
    for i, h in enumerate(proof):
        if (index >> i) & 1 == 1:
            seed = node_hash(h, seed)
    return seed


def _chain_border_right(seed: bytes, proof: Sequence[bytes]) -> bytes:
    for h in proof:
        seed = node_hash(h, seed)
    return seed


def root_from_inclusion_proof(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """Root implied by an inclusion proof of leaf hash ``leaf`` at ``index`` in ``size``."""
    _check_sizes(index, size)
    if index >= size:
        raise ProofError(f"index is beyond size: {index} >= {size}")
    if len(leaf) != HASH_SIZE:
        raise ProofError(f"leaf hash has unexpected size {len(leaf)}, want {HASH_SIZE}")
    inner, border = _decomp_incl_proof(index, size)
    if len(proof) != inner + border:
        raise ProofSizeError(len(proof), inner + border)
    res = _chain_inner(leaf, proof[:inner], index)
    return _chain_border_right(res, proof[inner:])


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that leaf hash ``leaf`` is at ``index`` in the tree of ``size`` with ``root``.

    Raises:
        ProofError: with a subclass telling what is wrong (:class:`ProofSizeError`,
            :class:`RootMismatchError`).
    """
    calculated = root_from_inclusion_proof(index, size, leaf, proof)
    if calculated != root:
        raise RootMismatchError(calculated, root)


def root_from_consistency_proof(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes
) -> bytes:
    """Root of the tree of ``size2`` implied by a consistency proof from ``(size1, root1)``.

    Raises:
        RootMismatchError: the proof does not lead back to ``root1``.
    """
    _check_sizes(size1, size2)
    if size2 < size1:
        raise ProofError(f"size2 ({size2}) < size1 ({size1})")
    # Checked before size1 == size2, unlike verify.go: the project's vectors (transparency-dev
    # testdata) refuse size1 = 0 even when size2 = 0, since an empty tree proves nothing.
    if size1 == 0:
        raise ProofError("consistency proof from empty tree is meaningless")
    if size1 == size2:
        if proof:
            raise ProofError("size1=size2, but proof is not empty")
        return root1
    if not proof:
        raise ProofError("empty proof")

    inner, border = _decomp_incl_proof(size1 - 1, size2)
    shift = (size1 & -size1).bit_length() - 1
    inner -= shift  # shift < inner because size1 < size2

    # The proof starts with the root of the subtree of size 2^shift that ends at size1, unless
    # size1 is exactly 2^shift: then that subtree is the whole old tree and root1 is the seed.
    if size1 == 1 << shift:
        seed, start = root1, 0
    else:
        seed, start = proof[0], 1
    if len(proof) != start + inner + border:
        raise ProofSizeError(len(proof), start + inner + border)
    rest = proof[start:]

    mask = (size1 - 1) >> shift  # chaining starts at level ``shift``
    hash1 = _chain_inner_right(seed, rest[:inner], mask)
    hash1 = _chain_border_right(hash1, rest[inner:])
    if hash1 != root1:
        raise RootMismatchError(hash1, root1)

    hash2 = _chain_inner(seed, rest[:inner], mask)
    return _chain_border_right(hash2, rest[inner:])


def verify_consistency(
    size1: int, size2: int, proof: Sequence[bytes], root1: bytes, root2: bytes
) -> None:
    """Check that the tree ``(size2, root2)`` extends the tree ``(size1, root1)``.

    Raises:
        ProofError: with a subclass telling what is wrong (:class:`ProofSizeError`,
            :class:`RootMismatchError`).
    """
    calculated = root_from_consistency_proof(size1, size2, proof, root1)
    if calculated != root2:
        raise RootMismatchError(calculated, root2)
