"""Counting a tallied poll's answers by municipality and age band, once, before the seals that
make it possible are erased (see :mod:`services.polls.results.answers`)."""

from __future__ import annotations

import structlog

from services.polls.casting.sealing import open_seal
from services.polls.polls.store import PollRecord, PollStore
from services.polls.results.answers import Voter, count_answers, encode_breakdown
from services.polls.results.domain import MIN_K
from services.polls.results.store import AnalyticsStore
from services.polls.service_secret import ServiceSecret
from shared.log.merkle import leaf_hash
from shared.tally.ballot import decode_entry

__all__ = ("AnswerRecorder",)

_log = structlog.get_logger("vmeste.polls.results")


class AnswerRecorder:
    def __init__(
        self, secret: ServiceSecret, polls: PollStore, analytics: AnalyticsStore | None = None
    ) -> None:
        self._secret = secret
        self._polls = polls
        self._analytics = analytics or AnalyticsStore()

    async def record(self, poll: PollRecord, entries: list[bytes]) -> None:
        """Store the suppressed breakdown of ``entries`` (the certified board) by group.

        Idempotent: a breakdown once stored is kept (the seals it came from may be gone)."""
        if await self._polls.answer_breakdown(poll.id) is not None:
            return
        by_hash = {leaf_hash(entry): entry for entry in entries}
        voters: list[Voter] = []
        unmatched = 0
        for voter_tag, sealed, municipality, age_band in await self._analytics.sealed_voters(
            poll.id
        ):
            try:
                entry = by_hash.get(open_seal(self._secret, poll.id, voter_tag, sealed).entry_hash)
            except ValueError:
                entry = None
            if entry is None:
                unmatched += 1
                continue
            voters.append(
                Voter(municipality=municipality, age_band=age_band, entry=decode_entry(entry))
            )
        if unmatched:
            # Counted without them: the breakdown is then short of the official totals.
            _log.warning("receipt seals without a ballot on the board", poll=poll.id, n=unmatched)
        breakdown = count_answers(poll.definition, poll.id, voters, MIN_K)
        await self._polls.save_answer_breakdown(poll.id, encode_breakdown(breakdown))
