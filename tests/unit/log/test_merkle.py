"""Tree maths: the shared known-answer vectors, RFC roots, and property tests."""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.log.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    ProofSizeError,
    RootMismatchError,
    consistency_plan,
    inclusion_plan,
    leaf_hash,
    node_hash,
    range_nodes,
    root_from_leaf_hashes,
    verify_consistency,
    verify_inclusion,
)

from ._support import b64list, load_vectors

INCLUSION = load_vectors("inclusion")
CONSISTENCY = load_vectors("consistency")

# RFC 6962 test leaves and the roots of their prefixes (from transparency-dev/merkle).
LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]


def reference_root(hashes: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 §2.1.1, recursive, for comparison."""
    if not hashes:
        return EMPTY_ROOT
    if len(hashes) == 1:
        return hashes[0]
    k = 1 << ((len(hashes) - 1).bit_length() - 1)
    return node_hash(reference_root(hashes[:k]), reference_root(hashes[k:]))


def leaf_hashes(n: int) -> list[bytes]:
    return [leaf_hash(i.to_bytes(4, "big")) for i in range(n)]


def proof_from_list(plan_nodes: list[tuple[int, int]], hashes: list[bytes]) -> dict[Any, bytes]:
    return {(lv, i): reference_root(hashes[i << lv : (i + 1) << lv]) for lv, i in plan_nodes}


def inclusion(hashes: list[bytes], index: int, size: int) -> list[bytes]:
    plan = inclusion_plan(index, size)
    return plan.assemble(proof_from_list(plan.node_ids, hashes))


def consistency(hashes: list[bytes], size1: int, size2: int) -> list[bytes]:
    plan = consistency_plan(size1, size2)
    return plan.assemble(proof_from_list(plan.node_ids, hashes))


# --- the shared vectors ----------------------------------------------------------------------


@pytest.mark.parametrize(("name", "v"), INCLUSION, ids=[n for n, _ in INCLUSION])
def test_inclusion_vector_gives_its_verdict(name: str, v: dict[str, Any]) -> None:
    def run() -> None:
        verify_inclusion(
            v["leafIdx"],
            v["treeSize"],
            base64.b64decode(v["leafHash"]),
            b64list(v["proof"]),
            base64.b64decode(v["root"]),
        )

    if v["wantErr"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


@pytest.mark.parametrize(("name", "v"), CONSISTENCY, ids=[n for n, _ in CONSISTENCY])
def test_consistency_vector_gives_its_verdict(name: str, v: dict[str, Any]) -> None:
    def run() -> None:
        verify_consistency(
            v["size1"],
            v["size2"],
            b64list(v["proof"]),
            base64.b64decode(v["root1"]),
            base64.b64decode(v["root2"]),
        )

    if v["wantErr"]:
        with pytest.raises(ProofError):
            run()
    else:
        run()


def test_vectors_cover_both_verdicts() -> None:
    verdicts = {v["wantErr"] for _, v in INCLUSION + CONSISTENCY}
    assert verdicts == {True, False}
    assert len(INCLUSION) + len(CONSISTENCY) >= 190


def test_generated_proofs_match_the_happy_path_vectors() -> None:
    # Our proof generation must give byte-for-byte the proofs of the reference implementation.
    hashes = [leaf_hash(x) for x in LEAVES]
    known = {base64.b64encode(h).decode(): i for i, h in enumerate(hashes)}
    compared = 0
    for _, v in INCLUSION:
        index = known.get(v["leafHash"])
        if not v["wantErr"] and index == v["leafIdx"] and v["treeSize"] <= len(hashes):
            assert inclusion(hashes, v["leafIdx"], v["treeSize"]) == b64list(v["proof"])
            compared += 1
    for _, v in CONSISTENCY:
        if not v["wantErr"] and 0 < v["size1"] < v["size2"] <= len(hashes):
            assert consistency(hashes, v["size1"], v["size2"]) == b64list(v["proof"])
            compared += 1
    assert compared >= 5


# --- hashing and roots ----------------------------------------------------------------------------


def test_leaf_and_node_hash_follow_rfc_9162() -> None:
    assert leaf_hash(b"x") == hashlib.sha256(b"\x00x").digest()
    assert (
        node_hash(b"a" * 32, b"b" * 32) == hashlib.sha256(b"\x01" + b"a" * 32 + b"b" * 32).digest()
    )


def test_roots_of_rfc_6962_leaves() -> None:
    hashes = [leaf_hash(x) for x in LEAVES]
    for size in range(1, 9):
        assert root_from_leaf_hashes(hashes[:size]).hex() == ROOTS[size - 1]


def test_empty_tree_root_is_sha256_of_nothing() -> None:
    assert root_from_leaf_hashes([]) == hashlib.sha256(b"").digest() == EMPTY_ROOT


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 300), st.lists(st.integers(1, 40), min_size=1, max_size=20))
def test_compact_range_matches_recursive_definition(n: int, batches: list[int]) -> None:
    hashes = leaf_hashes(n)
    cr = CompactRange()
    pos = 0
    for b in batches * 20:
        if pos >= n:
            break
        cr.extend(hashes[pos : pos + b])
        pos = min(n, pos + b)
        assert cr.root() == reference_root(hashes[:pos])
    cr.extend(hashes[pos:])
    assert cr.size == n
    assert cr.root() == reference_root(hashes) == root_from_leaf_hashes(hashes, batch=3)


def test_range_nodes_cover_the_range_with_aligned_subtrees() -> None:
    assert range_nodes(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert range_nodes(4, 7) == [(1, 2), (0, 6)]
    assert range_nodes(5, 5) == []


# --- proofs: properties --------------------------------------------------------------------------

sizes = st.integers(1, 200)


@settings(max_examples=80, deadline=None)
@given(sizes, st.data())
def test_inclusion_proofs_of_random_logs_verify(size: int, data: st.DataObject) -> None:
    hashes = leaf_hashes(size)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion(hashes, index, size)
    verify_inclusion(index, size, hashes[index], proof, reference_root(hashes))


@settings(max_examples=80, deadline=None)
@given(sizes, st.data())
def test_consistency_proofs_of_random_logs_verify(size2: int, data: st.DataObject) -> None:
    hashes = leaf_hashes(size2)
    size1 = data.draw(st.integers(1, size2))
    proof = consistency(hashes, size1, size2)
    verify_consistency(size1, size2, proof, reference_root(hashes[:size1]), reference_root(hashes))


def flip(data: bytes, bit: int) -> bytes:
    b = bytearray(data)
    b[bit // 8] ^= 1 << (bit % 8)
    return bytes(b)


@settings(max_examples=80, deadline=None)
@given(st.integers(2, 150), st.data())
def test_any_single_bit_flip_breaks_an_inclusion_proof(size: int, data: st.DataObject) -> None:
    hashes = leaf_hashes(size)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion(hashes, index, size)
    root = reference_root(hashes)
    target = data.draw(st.sampled_from(["leaf", "root", "proof"]))
    bit = data.draw(st.integers(0, 255))
    leaf = hashes[index]
    if target == "leaf":
        leaf = flip(leaf, bit)
    elif target == "root":
        root = flip(root, bit)
    else:
        k = data.draw(st.integers(0, len(proof) - 1))
        proof[k] = flip(proof[k], bit)
    with pytest.raises(RootMismatchError):
        verify_inclusion(index, size, leaf, proof, root)


@settings(max_examples=80, deadline=None)
@given(st.integers(3, 150), st.data())
def test_any_single_bit_flip_breaks_a_consistency_proof(size2: int, data: st.DataObject) -> None:
    hashes = leaf_hashes(size2)
    size1 = data.draw(st.integers(1, size2 - 1))
    proof = consistency(hashes, size1, size2)
    roots = [reference_root(hashes[:size1]), reference_root(hashes)]
    target = data.draw(st.sampled_from(["root1", "root2", "proof"]))
    bit = data.draw(st.integers(0, 255))
    if target == "proof":
        k = data.draw(st.integers(0, len(proof) - 1))
        proof[k] = flip(proof[k], bit)
    else:
        i = 0 if target == "root1" else 1
        roots[i] = flip(roots[i], bit)
    with pytest.raises(RootMismatchError):
        verify_consistency(size1, size2, proof, roots[0], roots[1])


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 150), st.data())
def test_an_entry_change_is_detected_by_its_proof(size: int, data: st.DataObject) -> None:
    entries = [i.to_bytes(4, "big") for i in range(size)]
    hashes = [leaf_hash(e) for e in entries]
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion(hashes, index, size)
    bit = data.draw(st.integers(0, 31))
    with pytest.raises(RootMismatchError):
        verify_inclusion(
            index, size, leaf_hash(flip(entries[index], bit)), proof, reference_root(hashes)
        )


# --- precise errors -------------------------------------------------------------------------------


def test_wrong_proof_size_names_both_sizes() -> None:
    hashes = leaf_hashes(5)
    proof = inclusion(hashes, 2, 5)
    with pytest.raises(ProofSizeError, match="wrong proof size 4, want 3"):
        verify_inclusion(2, 5, hashes[2], [*proof, proof[0]], reference_root(hashes))


def test_root_mismatch_names_both_roots() -> None:
    hashes = leaf_hashes(4)
    with pytest.raises(RootMismatchError, match="root mismatch: calculated") as info:
        verify_inclusion(0, 4, hashes[0], inclusion(hashes, 0, 4), b"\x00" * 32)
    assert info.value.expected == b"\x00" * 32


def test_index_beyond_size_is_refused() -> None:
    with pytest.raises(ProofError, match="index is beyond size: 4 >= 4"):
        verify_inclusion(4, 4, b"\x00" * 32, [], b"\x00" * 32)


def test_short_leaf_hash_is_refused() -> None:
    with pytest.raises(ProofError, match="leaf hash has unexpected size 31, want 32"):
        verify_inclusion(0, 1, b"\x00" * 31, [], b"\x00" * 31)


def test_consistency_from_empty_tree_is_refused() -> None:
    with pytest.raises(ProofError, match="empty tree is meaningless"):
        verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)


def test_consistency_backwards_is_refused() -> None:
    with pytest.raises(ProofError, match=r"size2 \(1\) < size1 \(2\)"):
        verify_consistency(2, 1, [], EMPTY_ROOT, EMPTY_ROOT)


def test_negative_sizes_are_refused() -> None:
    with pytest.raises(ProofError, match="outside"):
        verify_inclusion(-1, 3, b"\x00" * 32, [], b"\x00" * 32)
