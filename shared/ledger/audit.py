"""Offline audit of a board: pure verification returning a structured report.

One streaming pass over the board (see :mod:`shared.ledger.board`): every entry is hashed, the
tree root is recomputed at the size of every signed checkpoint and compared with it, so all
checkpoints that match are consistent with each other and with the entries by construction;
same-size checkpoints with different roots are reported as equivocation. Then the tally
certificate is checked (signature, binding to the final checkpoint, results hash) and, when the
caller supplies the tally code, the results are recomputed from the entries.

Memory is ``O(log n)`` plus the checkpoints, except that a tally hook receives the certified
entries as one list (about 160 MB for a million 120-byte ballots).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import BinaryIO, Literal

import msgspec

from shared.ledger.board import (
    BOARD_FORMAT,
    BoardCertificate,
    BoardCheckpoint,
    BoardEntries,
    BoardFormatError,
    BoardHeader,
    read_board,
)
from shared.ledger.certificate import TallyCertificate, verify_certificate
from shared.ledger.checkpoint import Checkpoint, open_checkpoint
from shared.ledger.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    inclusion_plan,
    root_from_leaf_hashes,
    verify_inclusion,
)
from shared.ledger.note import NoteError, Verifier
from shared.ledger.receipt import Receipt, verify_receipt

__all__ = (
    "AuditReport",
    "CertificateStatus",
    "CheckpointStatus",
    "Finding",
    "ProgressCallback",
    "ReceiptCheck",
    "TallyHook",
    "audit_board",
    "check_receipt",
)

TallyHook = Callable[[bytes, Sequence[bytes]], bytes]
"""``(definition, entries covered by the certificate) -> canonical results bytes``."""

ProgressCallback = Callable[[int, int], None]
"""``(entries processed, entries announced by the board header)``."""

BoardSource = str | Path | BinaryIO
Severity = Literal["error", "warning"]

_sha256 = hashlib.sha256


class Finding(msgspec.Struct, frozen=True, kw_only=True):
    """One problem found, with a stable ``code`` and where it is (entry index, tree size)."""

    severity: Severity
    code: str
    message: str
    index: int | None = None
    size: int | None = None


class CheckpointStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome for one checkpoint record (``record`` is its 1-based order on the board)."""

    record: int
    size: int | None
    root: bytes | None
    signed_by: tuple[str, ...]
    signature_ok: bool
    root_ok: bool | None = None


class CertificateStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome for the tally certificate."""

    size: int | None
    signed_by: tuple[str, ...]
    signature_ok: bool
    bound_to_final_checkpoint: bool
    results_ok: bool
    tally: Literal["match", "mismatch", "error", "not-checked"]


class AuditReport(msgspec.Struct, kw_only=True):
    """Everything the audit established; ``ok`` is true when no finding is an error."""

    format: str
    origin: str
    log_kind: str
    entries: int
    root: bytes
    keys_from_board: bool
    checkpoints: list[CheckpointStatus]
    certificate: CertificateStatus | None
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not any(f.severity == "error" for f in self.findings)

    @property
    def errors(self) -> list[Finding]:
        """The failures."""
        return [f for f in self.findings if f.severity == "error"]


def _lines(source: BoardSource, stack: ExitStack) -> Iterable[bytes]:
    if isinstance(source, str | Path):
        return stack.enter_context(Path(source).open("rb", buffering=1 << 20))
    return source


def _keys(
    header: BoardHeader, trusted: Iterable[Verifier | str] | None, findings: list[Finding]
) -> tuple[list[Verifier], bool]:
    if trusted is not None:
        return [k if isinstance(k, Verifier) else Verifier.parse(k) for k in trusted], False
    findings.append(
        Finding(
            severity="warning",
            code="untrusted-keys",
            message="verifier keys taken from the board itself; pass the keys published by "
            "the service to make the signatures mean something",
        )
    )
    keys = []
    for text in header.verifier_keys:
        try:
            keys.append(Verifier.parse(text))
        except NoteError as exc:
            findings.append(
                Finding(severity="error", code="board-key", message=f"key {text!r}: {exc}")
            )
    return keys, True


class _Pass:
    """State of the single streaming pass over the entries."""

    def __init__(self, stops: Sequence[int], keep_until: int) -> None:
        self.cr = CompactRange()
        self.stops = sorted(set(stops))
        # Size 0 needs no entries; every other stop is reached while feeding.
        self.roots: dict[int, bytes] = {0: EMPTY_ROOT} if 0 in self.stops else {}
        self.next_stop = 1 if 0 in self.stops else 0
        self.keep_until = keep_until
        self.kept: list[bytes] = []

    def feed(self, entries: list[bytes]) -> None:
        sha = _sha256
        hashes = [sha(b"\x00" + e).digest() for e in entries]
        if self.keep_until > self.cr.size:
            self.kept.extend(entries[: self.keep_until - self.cr.size])
        cr = self.cr
        stops = self.stops
        pos = 0
        end = cr.size + len(hashes)
        while self.next_stop < len(stops) and stops[self.next_stop] <= end:
            stop = stops[self.next_stop]
            cut = stop - (end - len(hashes))
            cr.extend(hashes[pos:cut])
            pos = cut
            self.roots[stop] = cr.root()
            self.next_stop += 1
        if pos < len(hashes):
            cr.extend(hashes[pos:] if pos else hashes)


def audit_board(
    source: BoardSource,
    *,
    trusted_keys: Iterable[Verifier | str] | None = None,
    tally: TallyHook | None = None,
    progress: ProgressCallback | None = None,
) -> AuditReport:
    """Verify a board and report every problem found.

    Args:
        source: path of the board file, or a binary stream of it.
        trusted_keys: the service's published verifier keys; without them the board's own
            keys are used and the report carries an ``untrusted-keys`` warning.
        tally: recomputes the results from ``(definition, certified entries)``; compared
            with the certificate's results hash.
        progress: called after each record of entries.

    Raises:
        BoardFormatError: the file is not a board at all (bad first line). Later damage is
            reported as a ``board-format`` finding instead, after what could be checked.
    """
    with ExitStack() as stack:
        return _audit(_lines(source, stack), trusted_keys, tally, progress)


def _audit(
    lines: Iterable[bytes],
    trusted_keys: Iterable[Verifier | str] | None,
    tally: TallyHook | None,
    progress: ProgressCallback | None,
) -> AuditReport:
    findings: list[Finding] = []

    def fail(code: str, message: str, **where: int | None) -> None:
        findings.append(Finding(severity="error", code=code, message=message, **where))

    # One guarded iterator for both loops below: abandoning a generator that delegates with
    # ``yield from`` would close the board reader underneath it.
    raw = read_board(lines)
    first = next(raw, None)
    if first is None or not isinstance(first[1], BoardHeader):
        raise BoardFormatError(1, "the first record must be the board header")
    header = first[1]
    records = _guarded(raw, fail)
    if header.format != BOARD_FORMAT:
        raise BoardFormatError(1, f"format {header.format!r}, this verifier reads {BOARD_FORMAT}")
    keys, keys_from_board = _keys(header, trusted_keys, findings)

    # --- signed statements, all before the entries ---------------------------------------
    statuses: list[CheckpointStatus] = []
    valid: list[tuple[int, Checkpoint]] = []
    cert_record: BoardCertificate | None = None
    pending: BoardEntries | None = None
    for number, record in records:
        if isinstance(record, BoardCheckpoint):
            position = len(statuses) + 1
            try:
                cp, opened = open_checkpoint(record.note, keys, origin=header.origin)
            except NoteError as exc:
                fail("checkpoint-signature", f"checkpoint #{position} (line {number}): {exc}")
                statuses.append(
                    CheckpointStatus(
                        record=position, size=None, root=None, signed_by=(), signature_ok=False
                    )
                )
                continue
            valid.append((position, cp))
            statuses.append(
                CheckpointStatus(
                    record=position,
                    size=cp.size,
                    root=cp.root,
                    signed_by=opened.signed_by,
                    signature_ok=True,
                )
            )
        elif isinstance(record, BoardCertificate):
            if cert_record is not None:
                fail("board-format", f"line {number}: a second certificate record")
                continue
            cert_record = record
        elif isinstance(record, BoardEntries):
            pending = record
            break
        else:
            fail("board-format", f"line {number}: a second header record")

    _equivocation(valid, fail)

    certificate: TallyCertificate | None = None
    cert_signers: tuple[str, ...] = ()
    if cert_record is not None:
        try:
            certificate, opened_cert = verify_certificate(cert_record.note, keys)
            cert_signers = opened_cert.signed_by
        except NoteError as exc:
            fail("certificate-signature", f"tally certificate: {exc}")

    # --- the entries: one pass, roots taken at every size of interest -----------------------
    stops = [cp.size for _, cp in valid]
    if certificate is not None:
        stops.append(certificate.size)
    keep = certificate.size if (certificate is not None and tally is not None) else 0
    walk = _Pass(stops, keep)
    total = header.size
    if pending is not None:
        chunks = _entry_records(pending, records, fail)
        for start, entries in chunks:
            if start != walk.cr.size:
                gap = "missing" if start > walk.cr.size else "duplicated or out of order"
                fail(
                    "entry-gap",
                    f"entries record at index {start} follows {walk.cr.size} entries: "
                    f"entries {gap} before index {max(start, walk.cr.size)}",
                    index=walk.cr.size,
                )
            walk.feed(entries)
            if progress is not None:
                progress(walk.cr.size, total)
    size = walk.cr.size
    if size != total:
        fail(
            "entry-count",
            f"board header announces {total} entries, the board holds {size}",
            index=min(size, total),
        )

    # --- compare every signed checkpoint with the entries --------------------------------------
    final = _compare_checkpoints(valid, statuses, walk.roots, size, fail)
    last_size = max((cp.size for _, cp in valid), default=0)
    if size > last_size:
        findings.append(
            Finding(
                severity="error" if cert_record is not None else "warning",
                code="unchecked-entries",
                message=f"entries {last_size}..{size - 1} ({size - last_size}) come after the "
                f"last signed checkpoint (size {last_size})"
                + (", which the tally certificate declares final" if cert_record else ""),
                index=last_size,
                size=last_size,
            )
        )

    cert_status = None
    if cert_record is not None:
        cert_status = _check_certificate(
            certificate, cert_signers, cert_record, final, walk, header, tally, fail
        )

    return AuditReport(
        format=header.format,
        origin=header.origin,
        log_kind=header.log_kind,
        entries=size,
        root=walk.cr.root(),
        keys_from_board=keys_from_board,
        checkpoints=statuses,
        certificate=cert_status,
        findings=findings,
    )


Fail = Callable[..., None]


def _guarded(records: Iterable[tuple[int, object]], fail: Fail) -> Iterator[tuple[int, object]]:
    try:
        yield from records
    except BoardFormatError as exc:
        fail("board-format", str(exc))


def _entry_records(
    first: BoardEntries, records: Iterator[tuple[int, object]], fail: Fail
) -> Iterator[tuple[int, list[bytes]]]:
    yield first.start, first.entries
    for number, record in records:
        if not isinstance(record, BoardEntries):
            fail("board-format", f"line {number}: {type(record).__name__} after the entries")
            continue
        yield record.start, record.entries


def _equivocation(valid: list[tuple[int, Checkpoint]], fail: Fail) -> None:
    by_size: dict[int, tuple[int, Checkpoint]] = {}
    for position, cp in valid:
        seen = by_size.setdefault(cp.size, (position, cp))
        if seen[1].root != cp.root:
            fail(
                "equivocation",
                f"checkpoints #{seen[0]} and #{position} are both validly signed for size "
                f"{cp.size} with different roots: the log equivocated",
                size=cp.size,
            )


def _compare_checkpoints(
    valid: list[tuple[int, Checkpoint]],
    statuses: list[CheckpointStatus],
    roots: dict[int, bytes],
    size: int,
    fail: Fail,
) -> Checkpoint | None:
    """Mark each checkpoint's root as matching or not; return the final good checkpoint."""
    good_sizes = {cp.size for _, cp in valid if roots.get(cp.size) == cp.root}
    final: Checkpoint | None = None
    for position, cp in sorted(valid, key=lambda pc: (pc[1].size, pc[0])):
        recomputed = roots.get(cp.size)
        if recomputed is None:
            ok = None
            fail(
                "checkpoint-beyond-entries",
                f"checkpoint #{position} is for size {cp.size} but the board holds only "
                f"{size} entries: entries {size}..{cp.size - 1} are missing",
                size=cp.size,
                index=size,
            )
        elif recomputed == cp.root:
            ok = True
            if final is None or cp.size >= final.size:
                final = cp
        else:
            ok = False
            below = max((s for s in good_sizes if s < cp.size), default=0)
            fail(
                "checkpoint-root-mismatch",
                f"checkpoint #{position} size {cp.size}: signed root {cp.root.hex()} but "
                f"entries 0..{cp.size - 1} give {recomputed.hex()}; entries up to size {below} "
                f"match, so entries {below}..{cp.size - 1} were altered, dropped, reordered or "
                f"inserted, or the checkpoint is inconsistent with the others",
                size=cp.size,
                index=below,
            )
        statuses[position - 1] = msgspec.structs.replace(statuses[position - 1], root_ok=ok)
    return final


def _check_certificate(
    certificate: TallyCertificate | None,
    signers: tuple[str, ...],
    record: BoardCertificate,
    final: Checkpoint | None,
    walk: _Pass,
    header: BoardHeader,
    tally: TallyHook | None,
    fail: Fail,
) -> CertificateStatus:
    if certificate is None:
        return CertificateStatus(
            size=None,
            signed_by=(),
            signature_ok=False,
            bound_to_final_checkpoint=False,
            results_ok=False,
            tally="not-checked",
        )
    bound = (
        final is not None
        and certificate.origin == header.origin
        and (certificate.size, certificate.root) == (final.size, final.root)
    )
    if not bound:
        fail(
            "certificate-binding",
            f"tally certificate binds {certificate.origin} size {certificate.size} root "
            f"{certificate.root.hex()}, not the final verified checkpoint "
            + (f"(size {final.size}, root {final.root.hex()})" if final else "(there is none)"),
            size=certificate.size,
        )
    elif walk.roots.get(certificate.size) != certificate.root:
        bound = False
        fail("certificate-binding", "tally certificate root differs from the entries")
    results_ok = _sha256(record.results).digest() == certificate.results_sha256
    if not results_ok:
        fail(
            "certificate-results",
            "the results document on the board does not hash to the certified SHA-256 "
            f"{certificate.results_sha256.hex()}",
        )
    outcome: Literal["match", "mismatch", "error", "not-checked"] = "not-checked"
    if tally is not None:
        if len(walk.kept) != certificate.size:
            outcome = "error"
            fail(
                "tally-error",
                f"cannot recompute the tally: the board holds {len(walk.kept)} of the "
                f"{certificate.size} certified entries",
            )
        else:
            try:
                recomputed = tally(header.definition, walk.kept)
            # The tally code is the caller's: whatever it raises is a finding, not a crash.
            except Exception as exc:
                outcome = "error"
                fail("tally-error", f"tally recomputation failed: {type(exc).__name__}: {exc}")
            else:
                if _sha256(recomputed).digest() == certificate.results_sha256:
                    outcome = "match"
                else:
                    outcome = "mismatch"
                    fail(
                        "tally-mismatch",
                        f"results recomputed from the {certificate.size} entries hash to "
                        f"{_sha256(recomputed).hexdigest()}, the certificate says "
                        f"{certificate.results_sha256.hex()}",
                        size=certificate.size,
                    )
    return CertificateStatus(
        size=certificate.size,
        signed_by=signers,
        signature_ok=True,
        bound_to_final_checkpoint=bound,
        results_ok=results_ok,
        tally=outcome,
    )


# --- one receipt against a board --------------------------------------------------------------


class ReceiptCheck(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a receipt's entry is on the board and under which signed checkpoint."""

    receipt_ok: bool
    tracking_code: str | None
    index: int | None
    checkpoint_size: int | None
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """True when the receipt is genuine and its entry provably in a signed checkpoint."""
        return not any(f.severity == "error" for f in self.findings)


def check_receipt(
    receipt_note: str | bytes,
    source: BoardSource,
    *,
    trusted_keys: Iterable[Verifier | str] | None = None,
) -> ReceiptCheck:
    """Prove (or disprove) that a receipt's entry is included in the board's log.

    The receipt's signature is checked; the entry is looked up by its hash; an inclusion
    proof is built from the board's entries for the smallest validly signed checkpoint that
    covers it and verified against that checkpoint's signed root. A genuine receipt whose
    entry is absent is reported as ``receipt-entry-missing``: proof that an accepted entry was
    dropped.
    """
    with ExitStack() as stack:
        return _check_receipt(receipt_note, _lines(source, stack), trusted_keys)


def _check_receipt(
    receipt_note: str | bytes,
    lines: Iterable[bytes],
    trusted_keys: Iterable[Verifier | str] | None,
) -> ReceiptCheck:
    findings: list[Finding] = []

    def fail(code: str, message: str, **where: int | None) -> None:
        findings.append(Finding(severity="error", code=code, message=message, **where))

    records = read_board(lines)
    first = next(records, None)
    if first is None or not isinstance(first[1], BoardHeader):
        raise BoardFormatError(1, "the first record must be the board header")
    header = first[1]
    keys, _ = _keys(header, trusted_keys, findings)
    receipt: Receipt | None = None
    try:
        receipt, _ = verify_receipt(receipt_note, keys, origin=header.origin)
    except NoteError as exc:
        fail("receipt-signature", f"receipt: {exc}")

    checkpoints: list[Checkpoint] = []
    leaves = bytearray()
    index: int | None = None
    for _, record in _guarded(records, fail):
        if isinstance(record, BoardCheckpoint):
            try:
                checkpoints.append(open_checkpoint(record.note, keys, origin=header.origin)[0])
            except NoteError:
                continue
        elif isinstance(record, BoardEntries):
            sha = _sha256
            for entry in record.entries:
                h = sha(b"\x00" + entry).digest()
                if receipt is not None and index is None and h == receipt.entry_hash:
                    index = len(leaves) // 32
                leaves += h
    if receipt is None:
        return ReceiptCheck(
            receipt_ok=False,
            tracking_code=None,
            index=None,
            checkpoint_size=None,
            findings=findings,
        )
    code = receipt.tracking_code
    if index is None:
        fail(
            "receipt-entry-missing",
            f"the receipt is genuine but entry {receipt.entry_hash.hex()} ({code}) is not on "
            "the board: an accepted entry is missing",
        )
        return ReceiptCheck(
            receipt_ok=True,
            tracking_code=code,
            index=None,
            checkpoint_size=None,
            findings=findings,
        )
    covering = sorted(
        (cp for cp in checkpoints if index < cp.size <= len(leaves) // 32), key=lambda c: c.size
    )
    if not covering:
        fail(
            "receipt-not-checkpointed",
            f"entry {index} ({code}) is on the board but no signed checkpoint covers it yet",
            index=index,
        )
        return ReceiptCheck(
            receipt_ok=True,
            tracking_code=code,
            index=index,
            checkpoint_size=None,
            findings=findings,
        )
    cp = covering[0]
    proof = _proof_from_leaves(leaves, index, cp.size)
    try:
        verify_inclusion(index, cp.size, receipt.entry_hash, proof, cp.root)
    except ProofError as exc:
        fail(
            "receipt-inclusion",
            f"entry {index} ({code}) does not prove into checkpoint size {cp.size}: {exc}",
            index=index,
            size=cp.size,
        )
    return ReceiptCheck(
        receipt_ok=True,
        tracking_code=code,
        index=index,
        checkpoint_size=cp.size,
        findings=findings,
    )


def _proof_from_leaves(leaves: bytearray, index: int, size: int) -> list[bytes]:
    plan = inclusion_plan(index, size)
    view = memoryview(leaves)
    nodes = {}
    for level, i in plan.node_ids:
        lo, hi = (i << level) * 32, ((i + 1) << level) * 32
        nodes[level, i] = root_from_leaf_hashes(bytes(view[p : p + 32]) for p in range(lo, hi, 32))
    return plan.assemble(nodes)
