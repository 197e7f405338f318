"""Audit benchmark: verify a board of N synthetic ballots against a bare hashing loop.

    uv run python -m bench.audit --n 1000000

Builds a board (signed checkpoints every ``--checkpoint-every`` entries and a tally
certificate) in a temporary file, times :func:`shared.log.audit.audit_board` on it, then, in
the same process, times a plain ``hashlib.sha256`` loop over the same 2N−1 node inputs (N leaf
inputs ``0x00 ‖ entry`` and N−1 interior node inputs ``0x01 ‖ left ‖ right``). Peak memory is
the process's peak RSS when the audit ends (before the baseline's inputs are built), so it
includes the interpreter, the board build and the tally hook's list of entries.
Timings are the best of ``--repeat`` runs.

Targets: audit time / hashing time ≤ 2, peak memory ≤ 500 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from shared.log.audit import audit_board
from shared.log.board import BoardCertificate, BoardHeader, write_board
from shared.log.certificate import TallyCertificate, issue_certificate
from shared.log.checkpoint import Checkpoint, sign_checkpoint
from shared.log.merkle import CompactRange, leaf_hash
from shared.log.note import Signer

__all__ = ("main",)

TARGET_RATIO = 2.0
TARGET_PEAK_MB = 500.0
ORIGIN = "bench.vmeste.example/polls/bench"


def _entries(n: int) -> Iterator[bytes]:
    # Shaped like a canonical ballot entry (~110 bytes); the nonce makes each one unique.
    for i in range(n):
        nonce = hashlib.md5(i.to_bytes(8, "big"), usedforsecurity=False).hexdigest()
        yield (
            b'{"v":1,"poll":"6f1c2a9e-0b7d-4d6e-9a51-2f0c7e3b8d41","nonce":"%s",'
            b'"answers":[[%d],[%d]]}' % (nonce.encode(), i % 5, i % 3)
        )


def _results(count: int) -> bytes:
    return b'{"entries":%d}' % count


def _tally(definition: bytes, entries: Sequence[bytes]) -> bytes:
    # Stand-in for the polls tally (which lives in the polls service): count the entries.
    return _results(len(entries))


def _build(path: Path, n: int, every: int, signer: Signer) -> None:
    cr = CompactRange()
    checkpoints: list[str] = []
    batch: list[bytes] = []
    for entry in _entries(n):
        batch.append(leaf_hash(entry))
        if len(batch) == every:
            cr.extend(batch)
            batch = []
            checkpoints.append(sign_checkpoint(Checkpoint(ORIGIN, cr.size, cr.root()), signer))
    if batch:
        cr.extend(batch)
        checkpoints.append(sign_checkpoint(Checkpoint(ORIGIN, cr.size, cr.root()), signer))
    final = Checkpoint(ORIGIN, cr.size, cr.root())
    results = _results(n)
    cert = TallyCertificate.for_results(
        final, results, datetime.now(UTC), definition=b"", turnout=n
    )
    header = BoardHeader(
        origin=ORIGIN, log_kind="poll", size=n, verifier_keys=(str(signer.verifier),)
    )
    with path.open("wb", buffering=1 << 20) as out:
        write_board(
            out,
            header,
            checkpoints,
            BoardCertificate(issue_certificate(cert, signer), results),
            _entries(n),
        )


def _node_inputs(n: int) -> tuple[list[bytes], bytes]:
    """Exactly the 2N−1 hash inputs of the RFC 9162 tree (N leaves, N−1 interior nodes) and
    the root they lead to."""
    sha = hashlib.sha256
    inputs = [b"\x00" + e for e in _entries(n)]
    level = [sha(x).digest() for x in inputs]
    border: list[bytes] = []  # complete subtrees left over, lowest level first
    while level:
        if len(level) & 1:
            border.append(level.pop())
        it = iter(level)
        pairs = [b"\x01" + a + b for a, b in zip(it, it, strict=True)]
        inputs.extend(pairs)
        level = [sha(x).digest() for x in pairs]
    acc = border[0]
    for node in border[1:]:
        x = b"\x01" + node + acc
        inputs.append(x)
        acc = sha(x).digest()
    return inputs, acc


def _peak_mb() -> float:
    # ru_maxrss is in KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _best(runs: int, fn: Callable[[], object]) -> float:
    # Best of several runs, as timeit does: other processes on the machine only ever add time.
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark; exit status 1 if a target is missed or the audit fails."""
    parser = argparse.ArgumentParser(prog="python -m bench.audit", description=__doc__)
    parser.add_argument("--n", type=int, default=1_000_000, help="entries on the board")
    parser.add_argument("--checkpoint-every", type=int, default=1000, help="entries per checkpoint")
    parser.add_argument("--repeat", type=int, default=3, help="timed runs, best one counts")
    args = parser.parse_args(argv)
    n: int = args.n
    signer = Signer.generate(ORIGIN)
    keys = [signer.verifier]

    with tempfile.TemporaryDirectory(prefix="vmeste-bench-") as tmp:
        board = Path(tmp) / "board.jsonl"
        t0 = time.perf_counter()
        _build(board, n, args.checkpoint_every, signer)
        build_s = time.perf_counter() - t0
        size_mb = board.stat().st_size / 1e6
        print(
            f"board: {n} entries, {n // args.checkpoint_every} checkpoints, {size_mb:.0f} MB, "
            f"built in {build_s:.1f} s"
        )
        audit_s = _best(args.repeat, lambda: audit_board(board, trusted_keys=keys))
        t0 = time.perf_counter()
        report = audit_board(board, trusted_keys=keys, tally=_tally)
        tally_s = time.perf_counter() - t0
        peak = _peak_mb()

    inputs, root = _node_inputs(n)
    assert len(inputs) == 2 * n - 1
    assert root == report.root, "baseline tree differs from the audited one"
    sha = hashlib.sha256

    def loop() -> None:
        for x in inputs:
            sha(x).digest()

    hash_s = _best(args.repeat, loop)
    inputs.clear()

    ratio = audit_s / hash_s
    print(f"sha256 loop over 2N-1 inputs:    {hash_s:6.2f} s")
    print(
        f"audit verify (logs):           {audit_s:6.2f} s   ratio {ratio:4.2f}  "
        f"target <= {TARGET_RATIO}"
    )
    print(
        f"audit verify + tally hook:       {tally_s:6.2f} s   ratio {tally_s / hash_s:4.2f}  "
        "(entries held in memory for the tally; the tally's own cost is the polls code's)"
    )
    print(f"peak memory (RSS, whole process): {peak:5.0f} MB  target <= {TARGET_PEAK_MB:.0f} MB")
    print(
        f"audit ok={report.ok}, certificate tally="
        f"{report.certificate.tally if report.certificate else '-'}"
    )
    for f in report.findings:
        print(f"  {f.severity}: {f.code}: {f.message}")
    met = report.ok and ratio <= TARGET_RATIO and peak <= TARGET_PEAK_MB
    print("targets met" if met else "TARGETS MISSED")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
