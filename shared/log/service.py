"""One service's logs at run time: append, receipts, checkpoints and the integrator task.

Both services hold one :class:`LogService`. It ties the storage (:mod:`.store`), the signed
formats (:mod:`.receipt`, :mod:`.checkpoint`, :mod:`.certificate`) and the single integrator
together, so a feature only calls ``append`` inside its transaction and ``issue_receipt``
after the commit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar
from piccolo.engine.base import Engine

from shared.config import WitnessingSettings
from shared.lease import Lease
from shared.log.board import (
    BoardCancellation,
    BoardCertificate,
    BoardHeader,
    stream_board,
    thin_checkpoints,
)
from shared.log.certificate import TallyCertificate, issue_certificate
from shared.log.checkpoint import Checkpoint, sign_checkpoint
from shared.log.cosignature import add_signature_lines
from shared.log.integrator import Feeder, Integrator
from shared.log.keys import KeyRing
from shared.log.receipt import Receipt, issue_receipt
from shared.log.store import Head, Inclusion, LogStore, UnknownEntryError
from shared.log.tables import LogTables
from shared.log.witnessing import Cosigner, Witness
from shared.metrics import (
    CHECKPOINT_SIZE,
    INTEGRATOR_LAST_ROUND,
    INTEGRATOR_PENDING,
    INTEGRATOR_ROUND_SECONDS,
    RECEIPT_TO_CHECKPOINT_SECONDS,
    RECEIPTS,
)
from shared.periodic import background_lifespan

__all__ = (
    "IssuedReceipt",
    "LogService",
    "QuorumPendingError",
    "UnknownEntryError",
    "load_log_keys",
)

_ISSUED_MAX = 200_000


class QuorumPendingError(RuntimeError):
    """The final checkpoint lacks the witnesses' quorum yet: certify again later."""

    def __init__(self, log_id: str, size: int, have: int, need: int) -> None:
        super().__init__(
            f"log {log_id}: the checkpoint of size {size} has {have} of the {need} witness "
            "cosignatures it needs; the certificate waits for them"
        )
        self.have = have
        self.need = need


_READ_CHUNK = 5000
"""Entries per query when a whole log is read."""


def load_log_keys(keys_dir: Path, service: str) -> KeyRing:
    """The service's log signing keys: ``<keys_dir>/log-<service>``, created on first start."""
    return KeyRing.load_or_create(keys_dir / f"log-{service}", f"vmeste-{service}")


@dataclass(frozen=True, slots=True)
class IssuedReceipt:
    note: str
    """The signed receipt, verifiable with the published keys alone."""
    tracking_code: str
    entry_hash: bytes
    accepted_at: dt.datetime


class LogService:
    """Every log of one service: ``origin_prefix/<log id>`` names each log publicly.

    Services build it with :meth:`create`; the store it wraps is this package's own.
    """

    def __init__(
        self,
        store: LogStore,
        keys: KeyRing,
        origin_prefix: str,
        lease_table: Any,
        interval_s: float = 0.5,
        feeder: Feeder | None = None,
        witnessing: WitnessingSettings | None = None,
    ) -> None:
        self.store = store
        self.keys = keys
        self.origin_prefix = origin_prefix.rstrip("/")
        self.service = self.origin_prefix.rsplit("/", 1)[-1]
        self.integrator = Integrator(
            store,
            Lease(lease_table, "ledger-integrator"),
            self.sign_checkpoint,
            interval_s,
            observe=self._observe_round,
            feeder=feeder,
        )
        self.feeder = feeder
        witnessing = witnessing or WitnessingSettings()
        self.witnesses = [Witness.of(w) for w in witnessing.witnesses]
        self.quorum = witnessing.quorum
        self.cosigner = Cosigner(store, self.witnesses, Lease(lease_table, "ledger-cosigner"))
        # Monotonic issue times of this replica's recent receipts by entry hash (only in this
        # process's memory, bounded; the oldest are forgotten first): the integrator, when it
        # runs here, reports how long each waited for a checkpoint. By hash, not in receipt
        # order, because a feeder lets entries reach the log in mixed batches.
        self._issued: OrderedDict[bytes, float] = OrderedDict()

    @classmethod
    def create(
        cls,
        tables: LogTables,
        engine: Engine,  # type: ignore[type-arg]
        keys: KeyRing,
        origin_prefix: str,
        lease_table: Any,
        *,
        feeder: Callable[[LogService], Feeder] | None = None,
        witnessing: WitnessingSettings | None = None,
    ) -> LogService:
        """The logs kept in ``tables`` of the service's database; ``feeder``, if given, makes
        the service's feeder from the built logs (it appends through them)."""
        logs = cls(
            LogStore(tables, engine), keys, origin_prefix, lease_table, witnessing=witnessing
        )
        if feeder is not None:
            logs.feeder = logs.integrator.feeder = feeder(logs)
        return logs

    def origin(self, log_id: str) -> str:
        return f"{self.origin_prefix}/{log_id}"

    async def append(self, log_id: str, entry: bytes, now: dt.datetime) -> bytes:
        """Store an entry; call inside the transaction that records the acceptance. Returns
        its leaf hash."""
        return await self.store.add_entry(log_id, entry, now)

    async def append_many(
        self, log_id: str, entries: Sequence[bytes], now: dt.datetime
    ) -> list[bytes]:
        """:meth:`append` of several entries in one statement; their leaf hashes, in order."""
        return await self.store.add_entries([(log_id, entry, now) for entry in entries])

    async def append_hashed(
        self, log_id: str, entries: Sequence[tuple[bytes, bytes]], now: dt.datetime
    ) -> None:
        """Store ``(leaf hash, entry bytes)`` pairs whose hashes the caller already computed
        (one statement; inside the caller's transaction, if any)."""
        await self.store.insert_entries([(log_id, digest, entry, now) for digest, entry in entries])

    async def has_pending(self, log_id: str) -> bool:
        """Whether entries of the log wait for the integrator."""
        return await self.store.has_pending(log_id)

    def issue_receipt(
        self, log_id: str, entry_hash: bytes, accepted_at: dt.datetime
    ) -> IssuedReceipt:
        """The signed receipt; issue it only after the entry's transaction committed."""
        receipt = Receipt(self.origin(log_id), entry_hash, accepted_at)
        note = issue_receipt(receipt, self.keys.active)
        self._issued[entry_hash] = time.monotonic()
        if len(self._issued) > _ISSUED_MAX:
            self._issued.popitem(last=False)
        RECEIPTS.labels(self.service).inc()
        return IssuedReceipt(note, receipt.tracking_code, entry_hash, accepted_at)

    def _observe_round(
        self, started: float, advanced: list[tuple[str, Head]], integrated: list[bytes]
    ) -> None:
        now = time.monotonic()
        INTEGRATOR_LAST_ROUND.labels(self.service).set_to_current_time()
        INTEGRATOR_ROUND_SECONDS.labels(self.service).observe(now - started)
        INTEGRATOR_PENDING.labels(self.service).set(len(integrated))
        # The round's checkpoints cover every entry it integrated: their receipts' wait ends.
        delay = RECEIPT_TO_CHECKPOINT_SECONDS.labels(self.service)
        for entry_hash in integrated:
            issued = self._issued.pop(entry_hash, None)
            if issued is not None:
                delay.observe(now - issued)
        for log_id, head in advanced:
            CHECKPOINT_SIZE.labels(self.service, log_id).set(head.size)

    def sign_checkpoint(self, log_id: str, head: Head) -> str:
        return sign_checkpoint(
            Checkpoint(self.origin(log_id), head.size, head.root), self.keys.active
        )

    async def cosigned(self, log_id: str, size: int, note: str) -> str:
        """The checkpoint note with every witness cosignature it has so far."""
        lines = await self.store.cosignatures(log_id, size)
        return add_signature_lines(note, lines) if lines else note

    async def await_quorum(self, log_id: str, size: int, wait_s: float = 10.0) -> None:
        """Wait (briefly) until the quorum of witnesses cosigned the checkpoint of ``size``;
        raises :class:`QuorumPendingError` if it has not by then (the caller retries later)."""
        if self.quorum == 0:
            return
        deadline = time.monotonic() + wait_s
        while True:
            await self.cosigner.run_once()
            have = len(await self.store.cosignatures(log_id, size))
            if have >= self.quorum:
                return
            if time.monotonic() >= deadline:
                raise QuorumPendingError(log_id, size, have, self.quorum)
            await asyncio.sleep(self.cosigner.interval_s)

    async def certify(
        self,
        log_id: str,
        results: bytes,
        now: dt.datetime,
        *,
        definition: bytes,
        turnout: int,
        quorum_wait_s: float = 10.0,
    ) -> str:
        """Integrate everything accepted, checkpoint it, wait for the witnesses' quorum on
        that final checkpoint, and sign a tally certificate binding it to ``results``, to the
        ``definition`` bytes the board carries and to the ``turnout`` the service counted
        apart from the log (participations, comments); an auditor compares it with the
        entries. Call only once the log is closed; :class:`QuorumPendingError` means "try
        again later"."""
        await self.integrate_now(log_id, drained=True)
        head = await self._checkpoint_head(log_id, now)
        await self.await_quorum(log_id, head.size, quorum_wait_s)
        checkpoint = Checkpoint(self.origin(log_id), head.size, head.root)
        certificate = TallyCertificate.for_results(
            checkpoint, results, now, definition=definition, turnout=turnout
        )
        return issue_certificate(certificate, self.keys.active)

    async def integrate_now(self, log_id: str, *, drained: bool = False) -> None:
        """Integrate the log's pending entries at once if this replica holds the lease, else
        wait for the holder to catch up (it runs every interval). With ``drained``, wait
        until the feeder has handed over everything of the log too (a closed poll's pool)."""
        for _ in range(200):
            await self.integrator.run_once()
            if not await self.store.has_pending(log_id) and (
                not drained or self.feeder is None or await self.feeder.waiting(log_id) == 0
            ):
                return
            await asyncio.sleep(self.integrator.interval_s)
        raise TimeoutError("the integrator did not catch up; is a replica holding the lease?")

    def verifier_keys(self) -> tuple[str, ...]:
        return self.keys.verifier_keys()

    # --- a log's lifecycle and reads: what the services need, so none reaches the store ----

    def transaction(self) -> Any:
        """A write transaction of the service's database, in which ``append`` may run."""
        return self.store.transaction()

    @property
    def on_sqlite(self) -> bool:
        """True when the logs live in SQLite (one writer at a time, no row locks)."""
        return self.store.on_sqlite

    async def open_log(self, log_id: str) -> None:
        await self.store.open_log(log_id)

    async def close_log(self, log_id: str) -> None:
        """No entry is accepted any more; the log's final checkpoint may then be signed."""
        await self.store.close_log(log_id)

    async def closed(self, log_id: str) -> bool | None:
        """Whether the log is closed; ``None`` when it was never opened."""
        return await self.store.closed(log_id)

    async def open_logs(self) -> list[str]:
        return await self.store.open_logs()

    async def size(self, log_id: str) -> int:
        """How many entries the log's tree holds (integrated, not pending)."""
        return (await self.store.head(log_id)).size

    async def entries(self, log_id: str, size: int | None = None, *, start: int = 0) -> list[bytes]:
        """The log's entries from index ``start`` up to ``size`` (all integrated ones by
        default), read in chunks so a large log never makes one huge query."""
        end = await self.size(log_id) if size is None else size
        entries: list[bytes] = []
        for first in range(start, end, _READ_CHUNK):
            entries += await self.store.entries(log_id, first, min(first + _READ_CHUNK, end))
        return entries

    async def latest_checkpoint(self, log_id: str) -> tuple[int, str] | None:
        """The size and signed note of the log's latest checkpoint, if any."""
        return await self.store.latest_checkpoint(log_id)

    async def cosigned_checkpoint(
        self, log_id: str, size: int | None = None
    ) -> tuple[int, str] | None:
        """The latest checkpoint, or the one of ``size``, with its witnesses' cosignatures
        (two indexed reads, however long the log's history); ``None`` if there is none."""
        if size is None:
            latest = await self.store.latest_checkpoint(log_id)
            if latest is None:
                return None
            size, note = latest
        else:
            found = await self.store.checkpoint_of_size(log_id, size)
            if found is None:
                return None
            note = found
        return size, await self.cosigned(log_id, size, note)

    async def consistency(self, log_id: str, first: int, second: int) -> list[bytes]:
        """Proof that the log at size ``second`` extends it at size ``first``; raises
        :class:`~shared.log.merkle.ProofError` for sizes it cannot prove."""
        return await self.store.consistency(log_id, first, second)

    async def board(
        self,
        log_id: str,
        *,
        kind: str,
        definition: bytes = b"",
        certificate: BoardCertificate | None = None,
        cancellation: BoardCancellation | None = None,
    ) -> AsyncIterator[bytes]:
        """The log's board (:mod:`.board`) as lines: its checkpoints, thinned to one a minute
        with their cosignatures, read now; its entries read as the lines are sent."""
        rows = await self.store.checkpoint_rows(log_id)
        kept = set(thin_checkpoints(rows))
        cosigned = await self.store.cosignatures_by_size(log_id)
        notes = [
            add_signature_lines(note, cosigned[size]) if size in cosigned else note
            for size, note, _ in rows
            if note in kept
        ]
        header = BoardHeader(
            origin=self.origin(log_id),
            log_kind=kind,
            size=max((size for size, note, _ in rows if note in kept), default=0),
            verifier_keys=self.verifier_keys(),
            definition=definition,
            cancellation=cancellation,
        )

        async def read(start: int, end: int) -> list[bytes]:
            return await self.store.entries(log_id, start, end)

        return stream_board(header, notes, certificate, read)

    async def inclusion(
        self, log_id: str, entry_hash: bytes, tree_size: int | None = None
    ) -> Inclusion:
        """Where the entry sits in the tree and its proof (at ``tree_size``, else the head);
        raises :class:`UnknownEntryError` for an entry not (yet) in that tree."""
        return await self.store.inclusion(log_id, entry_hash, tree_size)

    async def find_by_hash_range(self, log_id: str, low: bytes, high: bytes) -> list[bytes]:
        return await self.store.find_by_hash_range(log_id, low, high)

    async def checkpoint_final(self, log_id: str, now: dt.datetime) -> int:
        """Sign a checkpoint of everything integrated unless the latest already covers it;
        the log's size. For a log ended early (a cancelled poll)."""
        return (await self._checkpoint_head(log_id, now)).size

    async def _checkpoint_head(self, log_id: str, now: dt.datetime) -> Head:
        head = await self.store.head(log_id)
        latest = await self.store.latest_checkpoint(log_id)
        if latest is None or latest[0] != head.size:
            await self.store.save_checkpoint(log_id, head, self.sign_checkpoint(log_id, head), now)
        return head

    @property
    def lifespan(self) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
        """Runs the integrator loop for as long as the app runs; releases the lease on exit."""
        return background_lifespan("ledger-integrator", self.integrator.run)

    @property
    def cosigner_lifespan(self) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
        """Runs the loop that takes checkpoints to the witnesses (idle without witnesses)."""
        return background_lifespan("ledger-cosigner", self.cosigner.run)
