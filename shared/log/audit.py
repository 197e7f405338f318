"""Offline audit of a board: pure verification returning a structured report.

One streaming pass over the board (see :mod:`shared.log.board`): every entry is hashed, the
tree root is recomputed at the size of every signed checkpoint and compared with it, so all
checkpoints that match are consistent with each other and with the entries by construction;
same-size checkpoints with different roots are reported as equivocation. Given witness keys and
a quorum, the final checkpoint must carry that many valid witness cosignatures; checkpoints seen
elsewhere (a browser, a newspaper, a witness) must have the root the board's entries give at
their size. Then the tally certificate is checked (signature, binding to the final checkpoint,
results hash, and in version 2 the definition's hash and the turnout) and, when the caller
supplies the tally code, the results are recomputed from the entries.

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

from shared.log.board import (
    BOARD_FORMAT,
    BoardCancellation,
    BoardCertificate,
    BoardCheckpoint,
    BoardEntries,
    BoardFormatError,
    BoardHeader,
    BoardRecord,
    read_board,
)
from shared.log.certificate import TallyCertificate, verify_certificate
from shared.log.checkpoint import Checkpoint, open_checkpoint
from shared.log.cosignature import CosignatureError, WitnessKey, verified_cosignatures
from shared.log.merkle import (
    EMPTY_ROOT,
    CompactRange,
    ProofError,
    inclusion_plan,
    root_from_leaf_hashes,
    verify_inclusion,
)
from shared.log.note import NoteError, Verifier
from shared.log.receipt import Receipt, verify_receipt

__all__ = (
    "AuditReport",
    "CertificateStatus",
    "CheckpointStatus",
    "Finding",
    "ProgressCallback",
    "ReceiptCheck",
    "SeenCheckpoint",
    "SeenStatus",
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

Fail = Callable[..., None]

SeenCheckpoint = tuple[str, str | bytes]
"""``(where it was seen, e.g. a file name; the signed checkpoint note)``."""

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
    cosigned_by: tuple[str, ...] = ()
    """``name+hexid`` of each given witness key whose cosignature verifies on it."""


class SeenStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome for one checkpoint seen elsewhere: ``consistent`` is None if unreadable."""

    label: str
    size: int | None
    consistent: bool | None


class CertificateStatus(msgspec.Struct, frozen=True, kw_only=True):
    """Outcome for the tally certificate."""

    size: int | None
    signed_by: tuple[str, ...]
    signature_ok: bool
    bound_to_final_checkpoint: bool
    results_ok: bool
    tally: Literal["match", "mismatch", "error", "not-checked"]
    version: int = 1
    definition_ok: bool | None = None
    """Version 2: the board's definition hashes to the certified SHA-256 (None in v1)."""
    turnout_ok: bool | None = None
    """Version 2: the certified turnout equals the entries on the board (None in v1)."""


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
    quorum: int = 0
    """Witness cosignatures the final checkpoint needed (0: not checked)."""
    seen: list[SeenStatus] = msgspec.field(default_factory=list)
    cancellation: BoardCancellation | None = None
    """The board's statement that the log was sealed without a result, as checked."""

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


def _witness_keys(witnesses: Iterable[WitnessKey | str] | None, quorum: int) -> list[WitnessKey]:
    """The distinct witness keys; ``ValueError`` if the quorum cannot be met by them."""
    if quorum < 0:
        raise ValueError("the witness quorum cannot be negative")
    keys: dict[tuple[str, int], WitnessKey] = {}
    for w in witnesses or ():
        key = w if isinstance(w, WitnessKey) else WitnessKey.parse(w)
        keys.setdefault((key.name, key.key_id), key)
    if quorum > len(keys):
        raise ValueError(f"a quorum of {quorum} needs at least {quorum} distinct witness keys")
    return list(keys.values())


def _cosigners(
    note: str, witnesses: Sequence[WitnessKey], where: str, size: int, fail: Fail
) -> tuple[str, ...]:
    """The given witnesses whose cosignature on ``note`` verifies; a line that claims one of
    them and does not verify is a failure (the note was altered or the line forged)."""
    found: list[str] = []
    for witness in witnesses:
        try:
            found.extend(c.witness for c in verified_cosignatures(note, [witness]))
        except (CosignatureError, NoteError) as exc:
            fail("cosignature-invalid", f"{where} (size {size}): {exc}", size=size)
    return tuple(found)


def _quorum_of_final(
    valid: list[tuple[int, Checkpoint]],
    statuses: list[CheckpointStatus],
    quorum: int,
    findings: list[Finding],
    fail: Fail,
) -> None:
    """The final (largest) signed checkpoint needs the quorum; earlier ones lacking it are one
    warning, since a log submits only its latest checkpoint to the witnesses."""
    if not valid:
        fail(
            "witness-quorum",
            f"the board has no validly signed checkpoint to carry {quorum} witness cosignatures",
        )
        return
    top = max(cp.size for _, cp in valid)
    finals = [(pos, cp) for pos, cp in valid if cp.size == top]
    counts = {pos: len(statuses[pos - 1].cosigned_by) for pos, _ in valid}
    if not any(counts[pos] >= quorum for pos, _ in finals):
        pos, cp = max(finals, key=lambda pc: counts[pc[0]])
        fail(
            "witness-quorum",
            f"final checkpoint #{pos} (size {cp.size}) has {counts[pos]} valid witness "
            f"cosignature(s) of the {quorum} required: no quorum of witnesses vouches that "
            "everyone was shown this log",
            size=cp.size,
        )
    short = sorted({cp.size for pos, cp in valid if cp.size < top and counts[pos] < quorum})
    if short:
        listed = ", ".join(map(str, short[:10])) + (", …" if len(short) > 10 else "")
        findings.append(
            Finding(
                severity="warning",
                code="witness-quorum-earlier",
                message=f"{len(short)} earlier checkpoint(s) lack the witness quorum (sizes "
                f"{listed}); the final one is what the witnesses vouch for, and the earlier "
                "ones are prefixes of the same entries",
                size=short[0],
            )
        )


def _open_seen(
    seen: Iterable[SeenCheckpoint], keys: list[Verifier], origin: str, fail: Fail
) -> list[tuple[str, Checkpoint | None]]:
    opened: list[tuple[str, Checkpoint | None]] = []
    for label, note in seen:
        try:
            cp, _ = open_checkpoint(note, keys, origin=origin)
        except NoteError as exc:
            fail("seen-signature", f"seen checkpoint {label}: {exc}")
            opened.append((label, None))
            continue
        opened.append((label, cp))
    return opened


def _compare_seen(
    opened: list[tuple[str, Checkpoint | None]],
    root_at: Callable[[int], bytes | None],
    size: int,
    fail: Fail,
) -> list[SeenStatus]:
    """Each seen checkpoint against the root the board's entries give at its size."""
    out: list[SeenStatus] = []
    for label, cp in opened:
        if cp is None:
            out.append(SeenStatus(label=label, size=None, consistent=None))
            continue
        if cp.size > size:
            fail(
                "seen-beyond-board",
                f"seen checkpoint {label} is for size {cp.size} but the board holds only {size} "
                f"entries: the log signed entries {size}..{cp.size - 1} that the board leaves "
                "out (if the log is still open, fetch a newer board)",
                size=cp.size,
                index=size,
            )
            out.append(SeenStatus(label=label, size=cp.size, consistent=False))
            continue
        recomputed = root_at(cp.size)
        ok = recomputed == cp.root
        if not ok:
            fail(
                "seen-inconsistent",
                f"seen checkpoint {label} (size {cp.size}) has root {cp.root.hex()} but the "
                f"board's entries 0..{cp.size - 1} give "
                f"{recomputed.hex() if recomputed else 'nothing'}: the log showed its holder "
                "another history than this board (a split view)",
                size=cp.size,
            )
        out.append(SeenStatus(label=label, size=cp.size, consistent=ok))
    return out


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
    witnesses: Iterable[WitnessKey | str] | None = None,
    quorum: int = 0,
    seen: Iterable[SeenCheckpoint] = (),
) -> AuditReport:
    """Verify a board and report every problem found.

    Args:
        source: path of the board file, or a binary stream of it.
        trusted_keys: the service's published verifier keys; without them the board's own
            keys are used and the report carries an ``untrusted-keys`` warning.
        tally: recomputes the results from ``(definition, certified entries)``; compared
            with the certificate's results hash.
        progress: called after each record of entries.
        witnesses: witness cosignature/v1 verifier keys; cosignatures of other keys are
            ignored.
        quorum: how many of ``witnesses`` must have validly cosigned the final checkpoint
            (``witness-quorum`` otherwise); 0 checks no quorum.
        seen: signed checkpoints of this log seen elsewhere, each with where it was seen;
            each must be signed by the keys and match the root of the board's entries at
            its size (``seen-inconsistent``, ``seen-beyond-board``, ``seen-signature``).

    Raises:
        BoardFormatError: the file is not a board at all (bad first line). Later damage is
            reported as a ``board-format`` finding instead, after what could be checked.
        ValueError: ``quorum`` is more than the distinct ``witnesses`` (or a key is bad).
    """
    witness_keys = _witness_keys(witnesses, quorum)
    with ExitStack() as stack:
        return _audit(
            _lines(source, stack), trusted_keys, tally, progress, witness_keys, quorum, seen
        )


def _audit(
    lines: Iterable[bytes],
    trusted_keys: Iterable[Verifier | str] | None,
    tally: TallyHook | None,
    progress: ProgressCallback | None,
    witnesses: list[WitnessKey],
    quorum: int,
    seen: Iterable[SeenCheckpoint],
) -> AuditReport:
    findings: list[Finding] = []
    fail = _failing(findings)
    # One guarded iterator for both loops below: abandoning a generator that delegates with
    # ``yield from`` would close the board reader underneath it.
    header, raw = _opened(lines)
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
                    cosigned_by=_cosigners(
                        record.note, witnesses, f"checkpoint #{position}", cp.size, fail
                    )
                    if witnesses
                    else (),
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
    if quorum:
        _quorum_of_final(valid, statuses, quorum, findings, fail)
    seen_opened = _open_seen(seen, keys, header.origin, fail)

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
    stops += [cp.size for _, cp in seen_opened if cp is not None]
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

    seen_statuses = _compare_seen(seen_opened, walk.roots.get, size, fail)
    if header.cancellation is not None:
        _check_cancellation(header.cancellation, final, size, cert_record, fail)

    cert_status = None
    if cert_record is not None:
        cert_status = _check_certificate(
            certificate, cert_signers, cert_record, final, walk, header, tally, findings, fail
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
        quorum=quorum,
        seen=seen_statuses,
        cancellation=header.cancellation,
    )


def _check_cancellation(
    cancellation: BoardCancellation,
    final: Checkpoint | None,
    entries: int,
    certificate: BoardCertificate | None,
    fail: Fail,
) -> None:
    """A cancelled log states the size it was sealed at: its final signed checkpoint must
    cover exactly that many entries, the board must hold them all, and nothing is certified."""
    final_size = final.size if final is not None else None
    if final_size != cancellation.size:
        fail(
            "cancellation-size",
            f"the cancellation states a final size of {cancellation.size}, the final signed "
            f"checkpoint covers {'none' if final_size is None else final_size}",
            size=cancellation.size,
        )
    if entries != cancellation.size:
        fail(
            "cancellation-size",
            f"the cancellation states a final size of {cancellation.size}, the board holds "
            f"{entries} entries",
            size=cancellation.size,
        )
    if certificate is not None:
        fail("cancellation-certificate", "a cancelled log carries a tally certificate")


def _failing(findings: list[Finding]) -> Fail:
    """A :data:`Fail` that adds an error to ``findings``."""

    def fail(code: str, message: str, **where: int | None) -> None:
        findings.append(Finding(severity="error", code=code, message=message, **where))

    return fail


def _opened(lines: Iterable[bytes]) -> tuple[BoardHeader, Iterator[tuple[int, BoardRecord]]]:
    """The board's header and a reader of the records after it."""
    records = read_board(lines)
    first = next(records, None)
    if first is None or not isinstance(first[1], BoardHeader):
        raise BoardFormatError(1, "the first record must be the board header")
    return first[1], records


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
    findings: list[Finding],
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
    definition_ok, turnout_ok = _check_definition_and_turnout(
        certificate, header.definition, walk.cr.size, findings, fail
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
        version=certificate.version,
        definition_ok=definition_ok,
        turnout_ok=turnout_ok,
    )


def _check_definition_and_turnout(
    certificate: TallyCertificate,
    definition: bytes,
    entries: int,
    findings: list[Finding],
    fail: Fail,
) -> tuple[bool | None, bool | None]:
    if certificate.definition_sha256 is None or certificate.turnout is None:
        findings.append(
            Finding(
                severity="warning",
                code="certificate-v1",
                message="the tally certificate is in format v1, which binds neither the "
                "definition nor the turnout: neither could be checked",
            )
        )
        return None, None
    got = _sha256(definition).digest()
    definition_ok = got == certificate.definition_sha256
    if not definition_ok:
        fail(
            "certificate-definition",
            f"the board's definition hashes to {got.hex()}, the certificate binds "
            f"{certificate.definition_sha256.hex()}: the definition on the board (questions, "
            "budget, costs, rule) is not the one the results were certified for",
        )
    turnout_ok = certificate.turnout == entries
    if not turnout_ok:
        why = (
            "more were counted as taking part than there are entries: entries are missing"
            if certificate.turnout > entries
            else "the log holds entries nobody was counted for"
        )
        fail(
            "certificate-turnout",
            f"the certificate states a turnout of {certificate.turnout}, the board holds "
            f"{entries} entries: {why}",
            size=certificate.size,
        )
    return definition_ok, turnout_ok


# --- one receipt against a board --------------------------------------------------------------


class ReceiptCheck(msgspec.Struct, frozen=True, kw_only=True):
    """Whether a receipt's entry is on the board and under which signed checkpoint."""

    receipt_ok: bool
    tracking_code: str | None
    index: int | None
    checkpoint_size: int | None
    findings: list[Finding]
    cosigned_by: tuple[str, ...] = ()
    """Witnesses (of those given) whose cosignature on that checkpoint verifies."""
    seen: list[SeenStatus] = msgspec.field(default_factory=list)
    cancellation: BoardCancellation | None = None
    """The board's statement that the log was sealed without a result, as checked."""

    @property
    def ok(self) -> bool:
        """True when the receipt is genuine and its entry provably in a signed checkpoint."""
        return not any(f.severity == "error" for f in self.findings)


def check_receipt(
    receipt_note: str | bytes,
    source: BoardSource,
    *,
    trusted_keys: Iterable[Verifier | str] | None = None,
    witnesses: Iterable[WitnessKey | str] | None = None,
    quorum: int = 0,
    seen: Iterable[SeenCheckpoint] = (),
) -> ReceiptCheck:
    """Prove (or disprove) that a receipt's entry is included in the board's log.

    The receipt's signature is checked; the entry is looked up by its hash; an inclusion
    proof is built from the board's entries for the smallest validly signed checkpoint that
    covers it (with a ``quorum``, the smallest one cosigned by that many of ``witnesses``;
    ``witness-quorum`` if none is) and verified against that checkpoint's signed root. A
    genuine receipt whose entry is absent is reported as ``receipt-entry-missing``: proof that
    an accepted entry was dropped. ``seen`` checkpoints are checked as in :func:`audit_board`.

    Raises:
        ValueError: ``quorum`` is more than the distinct ``witnesses`` (or a key is bad).
    """
    witness_keys = _witness_keys(witnesses, quorum)
    with ExitStack() as stack:
        return _check_receipt(
            receipt_note, _lines(source, stack), trusted_keys, witness_keys, quorum, seen
        )


def _check_receipt(
    receipt_note: str | bytes,
    lines: Iterable[bytes],
    trusted_keys: Iterable[Verifier | str] | None,
    witnesses: list[WitnessKey],
    quorum: int,
    seen: Iterable[SeenCheckpoint],
) -> ReceiptCheck:
    findings: list[Finding] = []
    fail = _failing(findings)
    header, records = _opened(lines)
    keys, _ = _keys(header, trusted_keys, findings)
    receipt: Receipt | None = None
    try:
        receipt, _ = verify_receipt(receipt_note, keys, origin=header.origin)
    except NoteError as exc:
        fail("receipt-signature", f"receipt: {exc}")

    checkpoints: list[tuple[Checkpoint, tuple[str, ...]]] = []
    leaves = bytearray()
    index: int | None = None
    for _, record in _guarded(records, fail):
        if isinstance(record, BoardCheckpoint):
            try:
                cp = open_checkpoint(record.note, keys, origin=header.origin)[0]
            except NoteError:
                continue
            where = f"checkpoint #{len(checkpoints) + 1}"
            cosigners = _cosigners(record.note, witnesses, where, cp.size, fail)
            checkpoints.append((cp, cosigners))
        elif isinstance(record, BoardEntries):
            sha = _sha256
            for entry in record.entries:
                h = sha(b"\x00" + entry).digest()
                if receipt is not None and index is None and h == receipt.entry_hash:
                    index = len(leaves) // 32
                leaves += h
    total = len(leaves) // 32
    seen_statuses = _compare_seen(
        _open_seen(seen, keys, header.origin, fail),
        lambda n: _root_of_prefix(leaves, n),
        total,
        fail,
    )
    if receipt is None:
        return ReceiptCheck(
            receipt_ok=False,
            tracking_code=None,
            index=None,
            checkpoint_size=None,
            findings=findings,
            seen=seen_statuses,
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
            seen=seen_statuses,
        )
    covering = sorted(
        (c for c in checkpoints if index < c[0].size <= total), key=lambda c: c[0].size
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
            seen=seen_statuses,
        )
    cp, cosigners = covering[0]
    if quorum:
        witnessed = [c for c in covering if len(c[1]) >= quorum]
        if witnessed:
            cp, cosigners = witnessed[0]
        else:
            cp, cosigners = max(covering, key=lambda c: (len(c[1]), c[0].size))
            fail(
                "witness-quorum",
                f"no checkpoint covering entry {index} ({code}) has the quorum of {quorum} "
                f"witness cosignatures: the best, size {cp.size}, has {len(cosigners)}",
                index=index,
                size=cp.size,
            )
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
        cosigned_by=cosigners,
        seen=seen_statuses,
    )


def _root_of_prefix(leaves: bytearray, size: int) -> bytes | None:
    if size * 32 > len(leaves):
        return None
    view = memoryview(leaves)
    return root_from_leaf_hashes(bytes(view[p : p + 32]) for p in range(0, size * 32, 32))


def _proof_from_leaves(leaves: bytearray, index: int, size: int) -> list[bytes]:
    plan = inclusion_plan(index, size)
    view = memoryview(leaves)
    nodes = {}
    for level, i in plan.node_ids:
        lo, hi = (i << level) * 32, ((i + 1) << level) * 32
        nodes[level, i] = root_from_leaf_hashes(bytes(view[p : p + 32]) for p in range(lo, hi, 32))
    return plan.assemble(nodes)
