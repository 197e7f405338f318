"""Results and analytics of a poll.

The official tally is recomputed from the ballot log at close (see
:mod:`services.polls.scheduler`) and published with its certificate. Before that, answers are
counted only for polls that allow intermediate results — for everyone alike, the organisation
included — and only from the ballots already mixed into the log, so the totals move one mixed
batch at a time and never show a single ballot arriving. Free-text answers go to the poll's
organisation only, once tallied. Analytics suppress
every cell with fewer than ``k`` voters (and one more cell when a single suppressed cell could
be worked out from the total).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass

import msgspec

from services.polls.errors import PollsError, conflict, forbidden
from services.polls.polls.domain import PollService, may_manage
from services.polls.polls.store import PollRecord
from services.polls.results.answers import AnswerBreakdown, decode_breakdown, suppressed_further
from services.polls.results.store import AnalyticsStore
from shared.identity.claims import Role, Session
from shared.log.service import LogService
from shared.tally.ballot import decode_entry
from shared.tally.count import free_text_answers
from shared.tally.pabulib import PabulibError, export_pb
from shared.tally.results import Results, recompute_from_board

__all__ = ("MIN_K", "Analytics", "Cell", "PollResults", "ResultsService", "suppress")

MIN_K = 10
"""The smallest cell size analytics ever publish."""


@dataclass(frozen=True, slots=True)
class PollResults:
    poll: PollRecord
    official: bool
    results: Results
    certificate: str | None
    free_text: dict[str, tuple[str, ...]] | None


class Cell(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    voters: int | None
    """``None`` when suppressed."""
    suppressed: bool


class Analytics(msgspec.Struct, frozen=True, kw_only=True):
    poll: str
    k: int
    voters: int
    by_municipality: tuple[Cell, ...]
    by_age_band: tuple[Cell, ...]
    by_hour: tuple[Cell, ...]
    """Ballots per hour (UTC, ISO 8601 hour start)."""


def suppress(counts: dict[str, int], k: int) -> tuple[Cell, ...]:
    """Cells under ``k`` hidden; if exactly one is hidden, the smallest other one too, so
    the total minus the visible cells does not give it away."""
    hidden = {key for key, n in counts.items() if n < k}
    if len(hidden) == 1 and len(counts) > 1:
        hidden.add(min((n, key) for key, n in counts.items() if key not in hidden)[1])
    return tuple(
        Cell(key=key, voters=None if key in hidden else n, suppressed=key in hidden)
        for key, n in sorted(counts.items())
    )


EXPORTS_KEPT = 8
"""Tallied polls whose pabulib export a process keeps, most recently asked for first."""


class ResultsService:
    def __init__(
        self,
        polls: PollService,
        logs: LogService,
        analytics: AnalyticsStore | None = None,
        *,
        live_cache_s: float = 2.0,
    ) -> None:
        self._polls = polls
        self._logs = logs
        self._analytics = analytics or AnalyticsStore()
        self._live_cache_s = live_cache_s
        self._live: dict[str, tuple[int, float, Results]] = {}
        # A tallied poll's export never changes: built once per process, so an anonymous
        # client cannot make each request read the whole ballot log.
        self._exports: OrderedDict[str, str | PabulibError] = OrderedDict()

    async def _entries(self, poll_id: str, size: int | None = None) -> list[bytes]:
        return await self._logs.entries(poll_id, size)

    async def results(self, session: Session | None, poll_id: str) -> PollResults:
        poll = await self._polls.get(session, poll_id)
        manager = may_manage(session, poll)
        if poll.status == "tallied" and poll.results is not None:
            results = msgspec.json.decode(poll.results, type=Results)
            free_text = await self._free_text(poll) if manager and poll.has_free_text else None
            return PollResults(poll, True, results, poll.certificate, free_text)
        live_allowed = poll.status == "closed" or (
            poll.status == "open" and poll.show_intermediate_results
        )
        if not live_allowed:
            raise conflict(
                "results-not-available",
                "Results not available yet",
                "This poll publishes its results when it closes and is tallied.",
                poll_status=poll.status,
            )
        now = time.monotonic()
        cached = self._live.get(poll_id)
        if cached is None or now - cached[1] >= self._live_cache_s:
            size = await self._logs.size(poll_id)
            if cached is None or cached[0] != size:
                data = recompute_from_board(
                    poll.definition_bytes, await self._entries(poll_id, size)
                )
                cached = (size, now, msgspec.json.decode(data, type=Results))
            else:
                cached = (size, now, cached[2])
            self._live[poll_id] = cached
        return PollResults(poll, False, cached[2], None, None)

    async def _free_text(self, poll: PollRecord) -> dict[str, tuple[str, ...]]:
        entries = [decode_entry(e) for e in await self._entries(poll.id)]
        return free_text_answers(poll.definition, entries)

    async def analytics(self, session: Session, poll_id: str, k: int) -> Analytics:
        poll = await self._polls.get(session, poll_id)
        if not (may_manage(session, poll) or session.has_role(Role.AUDITOR.value)):
            raise forbidden("Analytics are for the poll's organisation and auditors.")
        k = max(k, MIN_K)
        municipalities = await self._analytics.by_column(poll_id, "municipality")
        bands = await self._analytics.by_column(poll_id, "age_band")
        hours: Counter[str] = Counter()
        for start, n in (await self._analytics.by_hour(poll_id)).items():
            hour = start.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
            hours[hour.isoformat()] += n
        return Analytics(
            poll=poll_id,
            k=k,
            voters=sum(municipalities.values()),
            by_municipality=suppress(municipalities, k),
            by_age_band=suppress(bands, k),
            by_hour=suppress(dict(hours), k),
        )

    async def answers(self, session: Session, poll_id: str, k: int) -> AnswerBreakdown:
        """Answers by municipality and age band, as counted at the tally (never before)."""
        poll = await self._polls.get(session, poll_id)
        if not (may_manage(session, poll) or session.has_role(Role.AUDITOR.value)):
            raise forbidden("Analytics are for the poll's organisation and auditors.")
        stored = (
            await self._polls.store.answer_breakdown(poll_id) if poll.status == "tallied" else None
        )
        if stored is None:
            raise conflict(
                "answers-not-available",
                "Answers by group not available",
                "Answers by municipality and age band are counted when the poll is tallied, "
                "and only for polls tallied since this breakdown exists.",
                poll_status=poll.status,
            )
        return suppressed_further(decode_breakdown(stored), max(k, MIN_K))

    async def export_pb(self, session: Session | None, poll_id: str) -> str:
        poll = await self._polls.get(session, poll_id)
        if poll.status != "tallied":
            raise conflict(
                "results-not-available",
                "Not tallied yet",
                "Ballots are exported once the poll is tallied.",
            )
        exported = self._exports.get(poll_id)
        if exported is None:
            try:
                exported = export_pb(
                    poll.definition, [decode_entry(e) for e in await self._entries(poll_id)]
                )
            except PabulibError as exc:
                exported = exc
            self._exports[poll_id] = exported
            while len(self._exports) > EXPORTS_KEPT:
                self._exports.popitem(last=False)
        self._exports.move_to_end(poll_id)
        if isinstance(exported, PabulibError):
            raise PollsError(
                409, "not-a-project-vote", "Not a project vote", str(exported)
            ) from exported
        return exported
