"""Opening and closing polls at their announced times, without anyone pressing a button.

One loop per replica; only the holder of the database lease ``poll-scheduler`` acts, so it
runs once across replicas and survives restarts (all state is in the poll rows). Closing is
idempotent step by step, so a replica that dies mid-way leaves work the next holder finishes:

1. status ``open → closed`` (on PostgreSQL this waits for casts committing right now, which
   hold a share lock on the poll row; after it no ballot can land in the log);
2. close the log; the mixer moves the whole pool into it as the last batch (at least the
   poll's anonymity batch, unless the poll has fewer ballots), and it is integrated;
3. recompute the results from the log's entries (never from counters), exactly as an auditor
   does from the board, and, once the configured quorum of witnesses has cosigned the final
   checkpoint, sign the tally certificate bound to it;
4. the answers are counted by municipality and age band, suppressed (results.answers), and
   the voters' sealed receipt details are erased (nobody can vote again, so nothing needs
   them, and they are what would let the service secret link a voter to a ballot);
5. status ``closed → tallied`` with the results bytes and the certificate.

Cancelling an open poll (:meth:`Scheduler.seal_cancelled`, called by the cancellation itself
and, should that be interrupted, by a later round) closes its log the same way without a
result: the pool is flushed into the log as the last mixed batch, so every ballot a receipt
was issued for is on the board, the final checkpoint is signed, receipt details are erased and
the log is closed last (a log left open marks a seal still to finish).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from typing import Any

import structlog
from litestar import Litestar
from piccolo.table import Table

from services.polls.casting.tables import Participation
from services.polls.polls.store import PollRecord, PollStore, Status
from services.polls.polls.tables import Poll
from shared.db.transactions import write_transaction
from shared.lease import Lease
from shared.log.service import LogService, QuorumPendingError
from shared.outbox import enqueue
from shared.periodic import background_lifespan, run_periodically
from shared.tally.results import recompute_from_board

__all__ = ("Scheduler",)

_log = structlog.get_logger("vmeste.polls.scheduler")
_SEAL_GRACE = dt.timedelta(minutes=1)


class Scheduler:
    def __init__(
        self,
        polls: PollStore,
        logs: LogService,
        lease: Lease,
        interval_s: float = 0.25,
        *,
        forget_receipts: Callable[[str], Awaitable[None]] | None = None,
        record_answers: Callable[[PollRecord, list[bytes]], Awaitable[None]] | None = None,
        outbox: type[Table] | None = None,
    ) -> None:
        self.polls = polls
        self.outbox = outbox
        self.logs = logs
        self.forget_receipts = forget_receipts
        self.record_answers = record_answers
        self.lease = lease
        self.interval_s = interval_s
        self.holding = False

    async def run_once(self, now: dt.datetime | None = None) -> None:
        self.holding = await self.lease.acquire()
        if not self.holding:
            return
        now = now or dt.datetime.now(dt.UTC)
        for poll_id in await self.polls.due_to_open(now):
            await self.logs.open_log(poll_id)
            if await self._transition(poll_id, ["scheduled"], "open", "poll.opened", now):
                _log.info("poll opened", poll=poll_id)
        for poll_id in await self.polls.due_to_close(now):
            await self.close(poll_id)
        await self._finish_seals(now)

    async def close(self, poll_id: str) -> None:
        await self.polls.transition(poll_id, ["open"], "closed")
        poll = await self.polls.get(poll_id)
        if poll is None or poll.status != "closed":
            return
        await self.logs.close_log(poll_id)
        # Everything still pooled goes in now, as the last mixed batch (casting.mixing).
        await self.logs.integrate_now(poll_id, drained=True)
        entries = await self.logs.entries(poll_id)
        size = len(entries)
        results = recompute_from_board(poll.definition_bytes, entries)
        try:
            # A short wait: the loop must go on opening and closing the other polls.
            certificate = await self.logs.certify(
                poll_id,
                results,
                dt.datetime.now(dt.UTC),
                definition=poll.definition_bytes,
                turnout=await Participation.count().where(Participation.poll_id == poll_id),
                quorum_wait_s=1.0,
            )
        except QuorumPendingError as exc:
            # Closed, everything in the log; the tally waits for the witnesses (next rounds).
            _log.info(
                "poll awaits witness cosignatures", poll=poll_id, have=exc.have, need=exc.need
            )
            return
        if self.record_answers is not None:
            # The seals it needs are erased next: this is the only moment it can be counted.
            # Analytics never hold up the tally: a failure is logged and the poll goes on.
            try:
                await self.record_answers(poll, entries)
            except Exception:
                _log.exception("answers by group not counted", poll=poll_id)
        if self.forget_receipts is not None:
            await self.forget_receipts(poll_id)  # before the tally, so a crash cannot skip it
        if await self._transition(
            poll_id,
            ["closed"],
            "tallied",
            "poll.tallied",
            dt.datetime.now(dt.UTC),
            results=results,
            certificate=certificate,
        ):
            _log.info("poll tallied", poll=poll_id, ballots=size)

    async def _finish_seals(self, now: dt.datetime) -> None:
        """Seal the cancelled polls whose cancelling request left the seal unfinished (it
        died, or timed out waiting for the integrator); the request seals its poll itself."""
        open_logs = await self.logs.open_logs()
        if not open_logs:
            return
        statuses = await self.polls.open_statuses(open_logs, lock=False)
        for log_id, status in statuses.items():
            if status != "cancelled":
                continue
            poll = await self.polls.get(log_id)
            if poll is not None and poll.updated_at <= now - _SEAL_GRACE:
                await self.seal_cancelled(log_id)

    async def seal_cancelled(self, poll_id: str) -> None:
        """Close a cancelled poll's log with everything accepted in it and a final checkpoint.

        Idempotent; nothing to do for a poll whose log was never opened (draft, scheduled)."""
        poll = await self.polls.get(poll_id)
        if (
            poll is None
            or poll.status != "cancelled"
            or await self.logs.closed(poll_id) is not False
        ):
            return
        # The status is no longer "open", so no ballot can join the pool any more and the
        # mixer flushes what is left of it, as at a close (casting.mixing).
        await self.logs.integrate_now(poll_id, drained=True)
        size = await self.logs.checkpoint_final(poll_id, dt.datetime.now(dt.UTC))
        if self.forget_receipts is not None:
            await self.forget_receipts(poll_id)
        await self.logs.close_log(poll_id)
        _log.info("cancelled poll sealed", poll=poll_id, ballots=size)

    async def _transition(
        self,
        poll_id: str,
        before: list[Status],
        after: Status,
        topic: str,
        now: dt.datetime,
        **values: Any,
    ) -> bool:
        """The change and the event announcing it (notifications) in one transaction: both
        or neither, whatever crashes."""
        async with write_transaction(Poll):
            changed = await self.polls.transition(poll_id, before, after, **values)
            if changed and self.outbox is not None:
                await enqueue(self.outbox, topic, {"poll": poll_id}, now)
        return changed

    async def run(self, stop: asyncio.Event) -> None:
        await run_periodically(
            self.run_once, self.interval_s, stop, "scheduler round", self._release
        )

    async def _release(self) -> None:
        if self.holding:
            await self.lease.release()

    @property
    def lifespan(self) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
        return background_lifespan("poll-scheduler", self.run)
