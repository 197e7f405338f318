"""Test helpers: the known-answer vector loader and a generator of real boards."""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.log.board import BoardCertificate, BoardHeader, write_board
from shared.log.certificate import TallyCertificate, issue_certificate
from shared.log.checkpoint import Checkpoint, sign_checkpoint
from shared.log.merkle import CompactRange, leaf_hash
from shared.log.note import Signer

__all__ = ("ORIGIN", "Board", "count_tally", "load_vectors", "make_board", "vectors_dir")

ORIGIN = "test.vmeste.example/polls/42"
FIXED_TIME = datetime(2025, 11, 25, 14, 3, 7, tzinfo=UTC)


def vectors_dir() -> Path:
    """The shared vectors folder: ``$VMESTE_VECTORS_DIR`` or ``<repo>/../shared/vectors``."""
    override = os.environ.get("VMESTE_VECTORS_DIR")
    if override:
        return Path(override)
    repo_root = Path(__file__).resolve().parents[3]
    return repo_root.parent / "shared" / "vectors"


def load_vectors(kind: str) -> list[tuple[str, dict[str, Any]]]:
    """Every JSON vector under ``merkle/<kind>/`` as ``(relative path, decoded object)``."""
    root = vectors_dir() / "merkle"
    folder = root / kind
    files = sorted(folder.rglob("*.json"))
    if not files:
        raise FileNotFoundError(f"no Merkle vectors under {folder} (set VMESTE_VECTORS_DIR)")
    return [(str(f.relative_to(root)), json.loads(f.read_text())) for f in files]


def b64list(items: Sequence[str] | None) -> list[bytes]:
    """Decode a vector's list of base64 hashes (JSON null means empty)."""
    return [base64.b64decode(x) for x in items or ()]


def count_tally(definition: bytes, entries: Sequence[bytes]) -> bytes:
    """A stand-in tally: the definition and the count of each distinct entry suffix."""
    counts: dict[str, int] = {}
    for e in entries:
        key = e[-1:].decode()
        counts[key] = counts.get(key, 0) + 1
    return json.dumps({"def": definition.decode(), "counts": counts}, sort_keys=True).encode()


@dataclass
class Board:
    """A generated board and what made it."""

    data: bytes
    signer: Signer
    entries: list[bytes]
    checkpoint_sizes: list[int]
    notes: list[str] = field(default_factory=list)

    @property
    def lines(self) -> list[bytes]:
        return self.data.splitlines(keepends=True)


def make_entries(n: int) -> list[bytes]:
    return [b'{"v":1,"nonce":"%032x","a":%d}' % (i * 7919, i % 3) for i in range(n)]


def make_board(
    n: int = 40,
    checkpoint_sizes: Sequence[int] = (5, 16, 29, 40),
    *,
    signer: Signer | None = None,
    certificate: bool = True,
    chunk: int = 7,
    entries: list[bytes] | None = None,
    extra_checkpoints: Sequence[str] = (),
    certificate_version: int = 2,
) -> Board:
    """A real board: signed checkpoints at the given sizes, a certificate for the last one
    (version 2, binding the definition and a turnout equal to the entries; or version 1)."""
    signer = signer or Signer.generate(ORIGIN)
    entries = entries if entries is not None else make_entries(n)
    cr = CompactRange()
    notes: list[str] = []
    final: Checkpoint | None = None
    for size in checkpoint_sizes:
        cr.extend([leaf_hash(e) for e in entries[cr.size : size]])
        final = Checkpoint(ORIGIN, size, cr.root())
        notes.append(sign_checkpoint(final, signer))
    notes.extend(extra_checkpoints)
    cert = None
    if certificate and final is not None:
        definition = b"poll-42"
        results = count_tally(definition, entries[: final.size])
        tc = (
            TallyCertificate.for_results(final, results, FIXED_TIME)
            if certificate_version == 1
            else TallyCertificate.for_results(
                final, results, FIXED_TIME, definition=definition, turnout=final.size
            )
        )
        cert = BoardCertificate(issue_certificate(tc, signer), results)
    header = BoardHeader(
        origin=ORIGIN,
        log_kind="poll",
        size=len(entries),
        verifier_keys=(str(signer.verifier),),
        definition=b"poll-42",
    )
    out = io.BytesIO()
    write_board(out, header, notes, cert, entries, chunk=chunk)
    return Board(out.getvalue(), signer, entries, list(checkpoint_sizes), notes)
