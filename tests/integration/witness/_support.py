"""Test helpers: a small log the test builds itself, add-checkpoint bodies, and the C2SP
cosignature check computed here from the standard, not by the code under test."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from litestar import Litestar

from services.witness.app import create_app
from services.witness.cosigning.domain import FollowedLog
from services.witness.settings import WitnessSettings
from shared.log.checkpoint import Checkpoint, sign_checkpoint
from shared.log.merkle import NodeID, consistency_plan, leaf_hash, root_from_leaf_hashes
from shared.log.note import Signer

__all__ = (
    "PREFIX",
    "TestLog",
    "WitnessFactory",
    "add_checkpoint_body",
    "check_cosignature",
    "logs_json",
    "witness_app",
)

PREFIX = "vmeste.test/polls/"

WitnessFactory = Callable[[], Litestar]
"""Makes a new witness app on one test's database and keys (call again to restart it)."""


@dataclass
class TestLog:
    """A log of ``origin`` whose entries the test appends and whose checkpoints ``signer``
    signs; proofs come from shared.log.merkle's plan over the test's own leaves."""

    origin: str
    signer: Signer
    leaves: list[bytes] = field(default_factory=list)

    __test__ = False  # not a test class, whatever its name

    def grow(self, size: int, tag: str = "") -> None:
        while len(self.leaves) < size:
            self.leaves.append(leaf_hash(f"{tag}entry {len(self.leaves)}".encode()))

    def root(self, size: int) -> bytes:
        return root_from_leaf_hashes(self.leaves[:size])

    def checkpoint(self, size: int, signer: Signer | None = None) -> str:
        self.grow(size)
        body = Checkpoint(self.origin, size, self.root(size))
        return sign_checkpoint(body, signer or self.signer)

    def _node(self, node: NodeID) -> bytes:
        level, index = node
        return root_from_leaf_hashes(self.leaves[index << level : (index + 1) << level])

    def proof(self, old: int, new: int) -> list[bytes]:
        self.grow(new)
        plan = consistency_plan(old, new)
        return plan.assemble({node: self._node(node) for node in plan.node_ids})

    def body(self, old: int, new: int) -> bytes:
        """A correct add-checkpoint request from ``old`` to ``new``."""
        return add_checkpoint_body(old, self.proof(old, new) if old else [], self.checkpoint(new))


def add_checkpoint_body(old: int, proof: Sequence[bytes], note: str) -> bytes:
    lines = "".join(base64.b64encode(h).decode() + "\n" for h in proof)
    return f"old {old}\n{lines}\n{note}".encode()


def check_cosignature(line: str, checkpoint_body: str, witness_vkey: str) -> int:
    """Verify ``line`` as a C2SP Ed25519 cosignature/v1 of ``checkpoint_body`` by the witness
    whose verifier key is ``witness_vkey``, from the standard alone; return its timestamp.

    tlog-cosignature: key id = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ key)[:4]; the signature line is
    ``— name base64(key id ‖ 8-byte big-endian time ‖ Ed25519 signature)``; the message is
    ``cosignature/v1\\ntime <T>\\n`` followed by the checkpoint body.
    """
    name, hex_id, key_b64 = witness_vkey.strip().split("+", 2)
    raw_key = base64.b64decode(key_b64)
    assert raw_key[0] == 0x04, "not an Ed25519 cosignature/v1 key"
    assert len(raw_key) == 33
    public = raw_key[1:]
    key_id = hashlib.sha256(name.encode() + b"\n" + b"\x04" + public).digest()[:4]
    assert key_id.hex() == hex_id
    assert line.startswith(f"— {name} "), line
    assert line.endswith("\n")
    blob = base64.b64decode(line[len(f"— {name} ") : -1], validate=True)
    assert len(blob) == 4 + 8 + 64
    assert blob[:4] == key_id
    timestamp = int.from_bytes(blob[4:12], "big")
    message = f"cosignature/v1\ntime {timestamp}\n".encode() + checkpoint_body.encode()
    Ed25519PublicKey.from_public_bytes(public).verify(blob[12:], message)  # raises if forged
    return timestamp


def witness_app(
    database_url: str,
    keys_dir: Path,
    logs: Sequence[FollowedLog],
    name: str | None = "witness.test/w1",
) -> Litestar:
    """A witness over ``database_url`` with its key in ``keys_dir``."""
    return create_app(
        WitnessSettings(
            name=name,
            keys_dir=keys_dir,
            signer_key=None,
            database_url=database_url,
            logs=tuple(logs),
        )
    )


def logs_json(logs: Sequence[FollowedLog]) -> str:
    return json.dumps(
        [{"origin_prefix": log.origin_prefix, "keys": [str(k) for k in log.keys]} for log in logs]
    )
