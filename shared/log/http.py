"""Public, read-only HTTP endpoints of every log: what an auditor or a voter fetches.

The same controller serves ballot logs (polls) and comment logs (discussions); the service
supplies a lookup that says whether a log id exists and what goes into its board.
"""

from __future__ import annotations

import base64
from collections.abc import Awaitable, Callable
from typing import Annotated

import msgspec
from litestar import Controller, MediaType, get
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, QueryParameter
from litestar.response import Stream

from shared.log.board import BoardCancellation, BoardCertificate
from shared.log.merkle import ProofError
from shared.log.receipt import ReceiptError, normalize_tracking_code, tracking_code_range
from shared.log.service import LogService, UnknownEntryError
from shared.web.openapi import problems
from shared.web.problems import ProblemError

__all__ = (
    "LogController",
    "LogDescription",
    "LogLookup",
    "log_dependencies",
)

_PATH = "/api/v1/logs"
_PAGE_MAX = 1000
_SIZE_MAX = 2**62
"""Bound on tree sizes and leaf indices a caller may name: a larger integer would overflow the
database's 64-bit column and answer 500 instead of 400."""


class LogDescription(msgspec.Struct, frozen=True, kw_only=True):
    """What the service tells about one of its logs, for the board."""

    kind: str
    """"poll" or "comment-period"."""
    definition: bytes = b""
    """Canonical bytes of what the entries answer (the poll's frozen questions)."""
    certificate: BoardCertificate | None = None
    cancellation: BoardCancellation | None = None
    """Set once the log was sealed without a result (a cancelled poll)."""


LogLookup = Callable[[str], Awaitable[LogDescription | None]]


class InclusionProof(msgspec.Struct, kw_only=True):
    leaf_index: int
    tree_size: int
    proof: list[str]
    """Base64 hashes, bottom up (RFC 9162 inclusion path)."""
    checkpoint: str
    """The signed checkpoint of ``tree_size`` to verify the proof against."""


class ConsistencyProof(msgspec.Struct, kw_only=True):
    first: int
    second: int
    proof: list[str]


class EntriesPage(msgspec.Struct, kw_only=True):
    start: int
    entries: list[str]
    """Base64 of each entry's canonical bytes, in leaf-index order."""
    next: int | None
    """Start of the next page, or null at the end of the integrated log."""


class PoolState(msgspec.Struct, kw_only=True):
    waiting: int
    """Ballots of the poll waiting in the pool now."""
    batch: int
    """The poll's anonymity batch k: the ballot enters the log in a batch of at least k
    ballots (fewer only if the whole poll has fewer)."""


class TrackingResult(msgspec.Struct, kw_only=True):
    tracking_code: str
    entry_hash: str | None
    """Hex leaf hash; null while the ballot waits in the pool (the receipt holds it)."""
    status: str
    """"included" once in a signed checkpoint, "accepted" while waiting for the integrator,
    "pooled" while a ballot waits in its poll's pool to be mixed into the log."""
    inclusion: InclusionProof | None = None
    pool: PoolState | None = None


class VerifierKeys(msgspec.Struct, kw_only=True):
    keys: list[str]
    """Signed-note verifier keys ``name+hexid+base64``, the active key first."""
    witnesses: list[str] = msgspec.field(default_factory=list)
    """The witnesses' cosignature/v1 verifier keys (``name+hexid+base64(0x04 ‖ key)``)."""
    quorum: int = 0
    """How many of those witnesses must cosign a checkpoint for it to be trusted."""


def _b64(items: list[bytes]) -> list[str]:
    return [base64.b64encode(i).decode() for i in items]


def _not_found(what: str) -> ProblemError:
    return ProblemError(404, "not-found", "Not found", what)


async def _described(describe_log: LogLookup, log_id: str) -> LogDescription:
    description = await describe_log(log_id)
    if description is None:
        raise _not_found(f"There is no log {log_id!r}. Check the poll or period id.")
    return description


async def _checkpoint_note(logs: LogService, log_id: str, size: int | None) -> tuple[int, str]:
    found = await logs.cosigned_checkpoint(log_id, size)
    if found is None:
        raise _not_found(
            "No signed checkpoint of that size yet. Comment periods are checkpointed within "
            "seconds; a poll's ballots enter its log in mixed batches."
        )
    return found


async def _inclusion(
    logs: LogService, log_id: str, entry_hash: bytes, tree_size: int | None
) -> InclusionProof:
    size, note = await _checkpoint_note(logs, log_id, tree_size)
    try:
        proof = await logs.inclusion(log_id, entry_hash, size)
    except UnknownEntryError as exc:
        raise _not_found(f"{exc}. If you were just given a receipt, retry in a second.") from None
    return InclusionProof(
        leaf_index=proof.leaf_index,
        tree_size=proof.tree_size,
        proof=_b64(proof.proof),
        checkpoint=note,
    )


class LogController(Controller):
    """Every log endpoint. The app provides two dependencies (:func:`log_dependencies`):
    ``logs``, the service's :class:`LogService`, and ``describe_log``, its
    :data:`LogLookup`."""

    tags = ["logs"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get(f"{_PATH}/{{log_id:str}}/checkpoint", media_type=MediaType.TEXT)
    async def latest_checkpoint(
        self,
        log_id: FromPath[str],
        logs: NamedDependency[LogService],
        describe_log: NamedDependency[LogLookup],
    ) -> str:
        """The latest signed checkpoint (C2SP signed note)."""
        await _described(describe_log, log_id)
        return (await _checkpoint_note(logs, log_id, None))[1]

    @get(f"{_PATH}/{{log_id:str}}/inclusion")
    async def inclusion_proof(
        self,
        log_id: FromPath[str],
        entry_hash: Annotated[str, QueryParameter(pattern=r"^[0-9a-f]{64}$")],
        logs: NamedDependency[LogService],
        describe_log: NamedDependency[LogLookup],
        tree_size: Annotated[int | None, QueryParameter(ge=1, le=_SIZE_MAX)] = None,
    ) -> InclusionProof:
        """Inclusion proof of an entry (by its hex leaf hash) in a signed checkpoint."""
        await _described(describe_log, log_id)
        return await _inclusion(logs, log_id, bytes.fromhex(entry_hash), tree_size)

    @get(f"{_PATH}/{{log_id:str}}/consistency")
    async def consistency_proof(
        self,
        log_id: FromPath[str],
        first: Annotated[int, QueryParameter(ge=0, le=_SIZE_MAX)],
        second: Annotated[int, QueryParameter(ge=0, le=_SIZE_MAX)],
        logs: NamedDependency[LogService],
        describe_log: NamedDependency[LogLookup],
    ) -> ConsistencyProof:
        """Proof that the log at size ``second`` extends the log at size ``first``."""
        await _described(describe_log, log_id)
        try:
            proof = await logs.consistency(log_id, first, second)
        except ProofError as exc:
            raise ProblemError(400, "bad-sizes", "Invalid sizes", str(exc)) from None
        return ConsistencyProof(first=first, second=second, proof=_b64(proof))

    # 409: a service may hold entries back until they are published (polls: until the
    # poll closes, see services/polls/logs.py).
    @get(f"{_PATH}/{{log_id:str}}/entries", responses=problems(409))
    async def entries(
        self,
        log_id: FromPath[str],
        logs: NamedDependency[LogService],
        describe_log: NamedDependency[LogLookup],
        start: Annotated[int, QueryParameter(ge=0, le=_SIZE_MAX)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=_PAGE_MAX)] = _PAGE_MAX,
    ) -> EntriesPage:
        """Integrated entries by leaf index, one page at a time."""
        await _described(describe_log, log_id)
        size = await logs.size(log_id)
        end = min(start + limit, size)
        page = await logs.entries(log_id, end, start=start) if start < size else []
        return EntriesPage(start=start, entries=_b64(page), next=end if end < size else None)

    @get(f"{_PATH}/{{log_id:str}}/tracking/{{code:str}}")
    async def track(
        self,
        log_id: FromPath[str],
        code: FromPath[str],
        logs: NamedDependency[LogService],
        describe_log: NamedDependency[LogLookup],
    ) -> TrackingResult:
        """Check my ballot: find the entry with this tracking code and prove it is in."""
        await _described(describe_log, log_id)
        try:
            canonical = normalize_tracking_code(code)
            low, high = tracking_code_range(canonical)
        except ReceiptError as exc:
            raise ProblemError(
                400, "bad-tracking-code", "Invalid tracking code", str(exc)
            ) from None
        found = await logs.find_by_hash_range(log_id, low, high)
        if not found:
            held = await logs.feeder.find(log_id, canonical) if logs.feeder else None
            if held is not None:
                return TrackingResult(
                    tracking_code=canonical,
                    entry_hash=None,
                    status="pooled",
                    pool=PoolState(waiting=held.waiting, batch=held.batch),
                )
            raise _not_found("No entry has this tracking code in this log.")
        entry_hash = found[0]
        try:
            proof = await _inclusion(logs, log_id, entry_hash, None)
        except ProblemError:
            return TrackingResult(
                tracking_code=canonical, entry_hash=entry_hash.hex(), status="accepted"
            )
        return TrackingResult(
            tracking_code=canonical,
            entry_hash=entry_hash.hex(),
            status="included",
            inclusion=proof,
        )

    @get(
        f"{_PATH}/{{log_id:str}}/board", media_type="application/x-ndjson", responses=problems(409)
    )
    async def board(
        self,
        log_id: FromPath[str],
        logs: NamedDependency[LogService],
        describe_log: NamedDependency[LogLookup],
    ) -> Stream:
        """The whole board as one JSON Lines download for `vmeste audit verify`."""
        description = await _described(describe_log, log_id)
        lines = await logs.board(
            log_id,
            kind=description.kind,
            definition=description.definition,
            certificate=description.certificate,
            cancellation=description.cancellation,
        )
        filename = f"board-{log_id}.jsonl"
        return Stream(
            lines,
            media_type="application/x-ndjson",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )

    @get("/api/v1/keys")
    async def keys(self, logs: NamedDependency[LogService]) -> VerifierKeys:
        """Public keys that verify every receipt, checkpoint and tally certificate, and
        the witnesses whose cosignatures a checkpoint needs (and how many)."""
        return VerifierKeys(
            keys=list(logs.verifier_keys()),
            witnesses=[str(w.key) for w in logs.witnesses],
            quorum=logs.quorum,
        )


def log_dependencies(logs: LogService, describe_log: LogLookup) -> dict[str, Provide]:
    """What :class:`LogController` is given: the service's logs and what it says of each."""
    return {
        "logs": Provide(lambda: logs, use_cache=True, sync_to_thread=False),
        "describe_log": Provide(lambda: describe_log, use_cache=True, sync_to_thread=False),
    }
