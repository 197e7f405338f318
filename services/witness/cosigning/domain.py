"""The witness's rule (C2SP tlog-witness, https://c2sp.org/tlog-witness): cosign a log's
checkpoint only if it is an append-only extension of the last one cosigned for that log, and
never two different trees of one size.

A request is checked in the order the standard gives, and every refusal changes nothing but
the evidence table:

1. the body is ``old <size>``, at most 63 base64 proof hashes, an empty line, a checkpoint
   note — else 400;
2. the origin starts with a followed prefix — else 404;
3. a trusted key of that log signed it — else 403;
4. old size ≤ checkpoint size — else 400;
5. same size as the one cosigned but another root — 409 (the two signed notes are kept as
   evidence, whatever the old size said);
6. old size = the size last cosigned (0 if never) — else 409 with that size as
   ``text/x.tlog.size``;
7. the consistency proof from the cosigned tree to the new one verifies (empty when old is
   0) — else 422;
8. the new checkpoint is stored with a compare-and-set on the size and root checked in 6–7,
   and its cosignature returned. A request that loses the race is checked again against what
   won, so it gets the 409 the standard prescribes, never a rollback.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from services.witness.cosigning.store import CosignedRecord, EvidenceRecord, WitnessStore
from shared.log.checkpoint import Checkpoint, CheckpointError, open_checkpoint, parse_checkpoint
from shared.log.cosignature import WitnessKey, WitnessSigner, add_signature_lines
from shared.log.merkle import EMPTY_ROOT, HASH_SIZE, ProofError, verify_consistency
from shared.log.note import MalformedNoteError, Note, NoteError, Verifier

__all__ = (
    "MAX_PROOF_LINES",
    "AddCheckpoint",
    "AddCheckpointError",
    "FollowedLog",
    "Witness",
    "parse_add_checkpoint",
)

MAX_PROOF_LINES = 63
"""C2SP tlog-witness: clients send at most 63 consistency proof lines."""
MAX_TREE_SIZE = (1 << 63) - 1
"""The largest size the database's signed 64-bit column holds; larger ones are refused."""
_MAX_SIZE_DIGITS = 20
_RACE_RETRIES = 8


@dataclass(frozen=True, slots=True)
class FollowedLog:
    """Logs whose origin starts with ``origin_prefix``, signed by one of ``keys``."""

    origin_prefix: str
    keys: tuple[Verifier, ...]


class AddCheckpointError(Exception):
    """add-checkpoint refused with ``status``; ``size`` is set on the 409 that tells the
    client which size the witness last cosigned."""

    def __init__(self, status: int, reason: str, *, size: int | None = None) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason
        self.size = size


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    """A parsed add-checkpoint body."""

    old_size: int
    proof: tuple[bytes, ...]
    note: str
    """The signed checkpoint note, as sent."""


def _bad(reason: str) -> AddCheckpointError:
    return AddCheckpointError(400, reason)


def _decimal(text: str, what: str) -> int:
    if not text or not text.isascii() or not text.isdigit() or len(text) > _MAX_SIZE_DIGITS:
        raise _bad(f"{what} {text!r} is not a decimal size")
    if len(text) > 1 and text[0] == "0":
        raise _bad(f"{what} {text!r} has a leading zero")
    value = int(text)
    if value >= 1 << 64:
        raise _bad(f"{what} {text} exceeds 2^64-1")
    return value


def parse_add_checkpoint(body: bytes) -> AddCheckpoint:
    """Parse an add-checkpoint request body strictly.

    Raises:
        AddCheckpointError: 400, saying which line is wrong.
    """
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _bad(f"body is not UTF-8 (byte {exc.start})") from None
    lines: list[str] = []
    pos = 0
    while True:
        end = text.find("\n", pos)
        if end < 0:
            raise _bad("body has no empty line before the checkpoint")
        line = text[pos:end]
        pos = end + 1
        if not line:
            break
        lines.append(line)
    if not lines:
        raise _bad("body does not start with the line 'old <size>'")
    head, *proof_lines = lines
    if not head.startswith("old "):
        raise _bad("body does not start with the line 'old <size>'")
    old_size = _decimal(head[4:], "old size")
    if len(proof_lines) > MAX_PROOF_LINES:
        raise _bad(f"{len(proof_lines)} consistency proof lines, at most {MAX_PROOF_LINES}")
    proof: list[bytes] = []
    for n, line in enumerate(proof_lines, start=1):
        try:
            digest = base64.b64decode(line.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError):
            raise _bad(f"consistency proof line {n} is not base64") from None
        if len(digest) != HASH_SIZE or base64.b64encode(digest).decode() != line:
            raise _bad(f"consistency proof line {n} is not one base64 SHA-256 hash")
        proof.append(digest)
    note = text[pos:]
    if not note:
        raise _bad("body has no checkpoint after the empty line")
    return AddCheckpoint(old_size, tuple(proof), note)


def _checkpoint_text(note: str) -> Checkpoint:
    split = note.rfind("\n\n")
    if split < 0:
        raise _bad("checkpoint note has no blank line before its signatures")
    try:
        return parse_checkpoint(note[: split + 1])
    except CheckpointError as exc:
        raise _bad(f"checkpoint: {exc}") from None


def _trusted_note(opened: Note) -> str:
    """The checkpoint with only the signatures of its trusted log keys: what is kept."""
    lines = "".join(f"— {s.name} {s.base64}\n" for s in opened.sigs)
    return f"{opened.text}\n{lines}"


class Witness:
    """One witness: its key, the logs it follows and its records."""

    def __init__(
        self,
        store: WitnessStore,
        signer: WitnessSigner,
        logs: Sequence[FollowedLog],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.signer = signer
        self.logs = tuple(logs)
        self._clock = clock

    @property
    def key(self) -> WitnessKey:
        """The published verifier key: ``name+hexid+base64(0x04 ‖ key)``."""
        return self.signer.key

    def trusted_keys(self, origin: str) -> tuple[Verifier, ...] | None:
        """The log keys trusted for ``origin``; None if the witness follows no such log."""
        matching = [log for log in self.logs if origin.startswith(log.origin_prefix)]
        if not matching:
            return None
        unique = {str(key): key for log in matching for key in log.keys}
        return tuple(unique.values())

    async def add_checkpoint(self, body: bytes) -> str:
        """Check and record the checkpoint in ``body``; its cosignature line(s).

        Raises:
            AddCheckpointError: with the status the standard prescribes (module docstring).
        """
        request = parse_add_checkpoint(body)
        claimed = _checkpoint_text(request.note)
        keys = self.trusted_keys(claimed.origin)
        if keys is None:
            raise AddCheckpointError(
                404, f"unknown origin: this witness follows no log {claimed.origin!r}"
            )
        try:
            checkpoint, opened = open_checkpoint(request.note, keys)
        except MalformedNoteError as exc:
            raise _bad(f"checkpoint note: {exc}") from None
        except NoteError as exc:
            raise AddCheckpointError(
                403, f"not signed by a trusted key of this log: {exc}"
            ) from None
        if request.old_size > checkpoint.size:
            raise _bad(f"old size {request.old_size} > checkpoint size {checkpoint.size}")
        if checkpoint.size > MAX_TREE_SIZE:
            raise _bad(f"checkpoint size {checkpoint.size} exceeds 2^63-1")
        note = _trusted_note(opened)
        for _ in range(_RACE_RETRIES):
            latest = await self.store.latest(checkpoint.origin)
            line = await self._check(request, checkpoint, opened.text, note, latest)
            if line is not None:
                return line
        raise RuntimeError(f"log {checkpoint.origin!r} kept moving; add-checkpoint gave up")

    async def _check(
        self,
        request: AddCheckpoint,
        checkpoint: Checkpoint,
        body: str,
        note: str,
        latest: CosignedRecord | None,
    ) -> str | None:
        """Checks 5–8 against ``latest``; None if another request changed it first."""
        now = self._clock()
        stored_size = latest.size if latest is not None else 0
        if latest is not None and checkpoint.size == latest.size and checkpoint.root != latest.root:
            await self.store.keep_evidence(
                latest, checkpoint.root, note, dt.datetime.fromtimestamp(now, dt.UTC)
            )
            if request.old_size == stored_size:
                raise AddCheckpointError(
                    409,
                    f"split view: this witness cosigned another tree of size {latest.size}",
                )
        if request.old_size != stored_size:
            raise AddCheckpointError(
                409, f"this witness last cosigned size {stored_size}", size=stored_size
            )
        _verify_proof(request, checkpoint, latest)
        line = self.signer.cosign(body, int(now))
        if latest is not None and checkpoint.size == latest.size:
            return line  # the same tree again: cosigned afresh, nothing to store
        record = CosignedRecord(
            origin=checkpoint.origin,
            size=checkpoint.size,
            root=checkpoint.root,
            note=note,
            cosignature=line,
            cosigned_at=dt.datetime.fromtimestamp(now, dt.UTC),
        )
        if latest is None:
            stored = await self.store.create(record)
        else:
            stored = await self.store.advance(latest, record)
        return line if stored else None

    async def latest(self, origin: str) -> str | None:
        """The latest cosigned checkpoint of ``origin``: the log's note with this witness's
        signature line appended; None if it never cosigned one."""
        record = await self.store.latest(origin)
        if record is None:
            return None
        return add_signature_lines(record.note, [record.cosignature])

    async def cosigned_logs(self, *, after: str, limit: int) -> list[CosignedRecord]:
        return await self.store.logs(after=after, limit=limit)

    async def equivocations(
        self, *, origin: str | None, after: int, limit: int
    ) -> list[EvidenceRecord]:
        return await self.store.evidence(origin=origin, after=after, limit=limit)


def _verify_proof(
    request: AddCheckpoint, checkpoint: Checkpoint, latest: CosignedRecord | None
) -> None:
    if request.old_size == 0:
        if request.proof:
            raise AddCheckpointError(422, "a consistency proof from size 0 must be empty")
        if checkpoint.size == 0 and checkpoint.root != EMPTY_ROOT:
            raise AddCheckpointError(422, "a checkpoint of size 0 must have the empty tree's root")
        return
    assert latest is not None  # old size > 0 equals the stored size
    try:
        verify_consistency(
            latest.size, checkpoint.size, request.proof, latest.root, checkpoint.root
        )
    except ProofError as exc:
        raise AddCheckpointError(422, f"consistency proof does not verify: {exc}") from None
