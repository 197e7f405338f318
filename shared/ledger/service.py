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
from collections import OrderedDict, defaultdict, deque
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from litestar import Litestar

from shared.config import WitnessingSettings
from shared.lease import Lease
from shared.ledger.certificate import TallyCertificate, issue_certificate
from shared.ledger.checkpoint import Checkpoint, sign_checkpoint
from shared.ledger.cosignature import add_signature_lines
from shared.ledger.integrator import MAX_BATCH, Feeder, Integrator
from shared.ledger.keys import KeyRing
from shared.ledger.receipt import Receipt, issue_receipt
from shared.ledger.store import Head, Inclusion, LedgerStore
from shared.ledger.witnessing import Cosigner, Witness
from shared.metrics import (
    CHECKPOINT_SIZE,
    INTEGRATOR_LAST_ROUND,
    INTEGRATOR_PENDING,
    INTEGRATOR_ROUND_SECONDS,
    RECEIPT_TO_CHECKPOINT_SECONDS,
    RECEIPTS,
)
from shared.periodic import background_lifespan

__all__ = ("IssuedReceipt", "LogService", "QuorumPendingError", "load_log_keys")

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
    """Every log of one service: ``origin_prefix/<log id>`` names each log publicly."""

    def __init__(
        self,
        store: LedgerStore,
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
        # Monotonic issue times of this replica's recent receipts, per log, oldest first:
        # the integrator, when it runs here, reports how long they waited for a checkpoint.
        self._waiting: dict[str, deque[float]] = defaultdict(lambda: deque(maxlen=100_000))
        # With a feeder, entries reach the log out of receipt order: issue times by entry hash
        # (only in this process's memory, bounded; the oldest are forgotten first).
        self._issued: OrderedDict[bytes, float] = OrderedDict()

    def origin(self, log_id: str) -> str:
        return f"{self.origin_prefix}/{log_id}"

    async def append(self, log_id: str, entry: bytes, now: dt.datetime) -> bytes:
        """Store an entry; call inside the transaction that records the acceptance."""
        return await self.store.add_entry(log_id, entry, now)

    def issue_receipt(
        self, log_id: str, entry_hash: bytes, accepted_at: dt.datetime
    ) -> IssuedReceipt:
        """The signed receipt; issue it only after the entry's transaction committed."""
        receipt = Receipt(self.origin(log_id), entry_hash, accepted_at)
        note = issue_receipt(receipt, self.keys.active)
        if self.feeder is None:
            self._waiting[log_id].append(time.monotonic())
        else:
            self._issued[entry_hash] = time.monotonic()
            if len(self._issued) > _ISSUED_MAX:
                self._issued.popitem(last=False)
        RECEIPTS.labels(self.service).inc()
        return IssuedReceipt(note, receipt.tracking_code, entry_hash, accepted_at)

    def _observe_round(
        self, started: float, advanced: list[tuple[str, Head]], integrated: int
    ) -> None:
        now = time.monotonic()
        INTEGRATOR_LAST_ROUND.labels(self.service).set_to_current_time()
        INTEGRATOR_ROUND_SECONDS.labels(self.service).observe(now - started)
        INTEGRATOR_PENDING.labels(self.service).set(integrated)
        delay = RECEIPT_TO_CHECKPOINT_SECONDS.labels(self.service)
        if self.feeder is not None:
            # Everything fed this round was integrated this round (one batch per log, far
            # under MAX_BATCH), so its receipts' wait ends now.
            for hashes in self.integrator.fed.values():
                for entry_hash in hashes:
                    issued = self._issued.pop(entry_hash, None)
                    if issued is not None:
                        delay.observe(now - issued)
        for log_id, head in advanced:
            CHECKPOINT_SIZE.labels(self.service, log_id).set(head.size)
            if self.feeder is not None or integrated >= MAX_BATCH:
                continue  # a backlog: this round may have left some earlier receipts behind
            # Receipts issued before the round began were committed before it began, so this
            # round integrated them all.
            waiting = self._waiting.get(log_id)
            while waiting and waiting[0] < started:
                delay.observe(now - waiting.popleft())

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
        head = await self.store.head(log_id)
        latest = await self.store.latest_checkpoint(log_id)
        if latest is None or latest[0] != head.size:
            await self.store.save_checkpoint(log_id, head, self.sign_checkpoint(log_id, head), now)
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

    async def entries(self, log_id: str, size: int | None = None) -> list[bytes]:
        """The log's first ``size`` entries (all integrated ones by default), read in chunks
        so a large log never makes one huge query."""
        end = await self.size(log_id) if size is None else size
        entries: list[bytes] = []
        for start in range(0, end, _READ_CHUNK):
            entries += await self.store.entries(log_id, start, min(start + _READ_CHUNK, end))
        return entries

    async def latest_checkpoint(self, log_id: str) -> tuple[int, str] | None:
        """The size and signed note of the log's latest checkpoint, if any."""
        return await self.store.latest_checkpoint(log_id)

    async def inclusion(
        self, log_id: str, entry_hash: bytes, tree_size: int | None = None
    ) -> Inclusion:
        """Where the entry sits in the tree and its proof (at ``tree_size``, else the head)."""
        return await self.store.inclusion(log_id, entry_hash, tree_size)

    async def find_by_hash_range(self, log_id: str, low: bytes, high: bytes) -> list[bytes]:
        return await self.store.find_by_hash_range(log_id, low, high)

    async def checkpoint_final(self, log_id: str, now: dt.datetime) -> int:
        """Sign a checkpoint of everything integrated unless the latest already covers it;
        the log's size. For a log ended early (a cancelled poll)."""
        head = await self.store.head(log_id)
        latest = await self.store.latest_checkpoint(log_id)
        if latest is None or latest[0] != head.size:
            await self.store.save_checkpoint(log_id, head, self.sign_checkpoint(log_id, head), now)
        return head.size

    @property
    def lifespan(self) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
        """Runs the integrator loop for as long as the app runs; releases the lease on exit."""
        return background_lifespan("ledger-integrator", self.integrator.run)

    @property
    def cosigner_lifespan(self) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
        """Runs the loop that takes checkpoints to the witnesses (idle without witnesses)."""
        return background_lifespan("ledger-cosigner", self.cosigner.run)
