"""The polls service's domain objects as the pages use them.

The pages call the same domain services as the JSON API. They are taken from ``create_app``
when it passes them, else from the application state it fills (``casting``, ``ledger``) when
the application starts.
"""

from __future__ import annotations

from litestar import Litestar

from services.polls.casting.domain import CastService
from services.polls.polls.domain import PollService
from services.polls.polls.store import PollRecord
from services.polls.results.domain import ResultsService
from shared.identity.claims import Session
from shared.ledger.service import LogService

__all__ = ("PollPagesDomain",)


class PollPagesDomain:
    def __init__(
        self,
        *,
        polls: PollService | None = None,
        results: ResultsService | None = None,
        casting: CastService | None = None,
        ledger: LogService | None = None,
    ) -> None:
        self._polls = polls
        self._results = results
        self._casting = casting
        self._ledger = ledger

    def bind(self, app: Litestar) -> None:
        """Fill what ``create_app`` did not pass from the application state."""
        if self._ledger is None:
            self._ledger = app.state.ledger
        if self._casting is None:
            self._casting = app.state.casting
        if self._polls is None:
            self._polls = PollService()
        if self._results is None:
            self._results = ResultsService(self._polls, self.ledger)

    @property
    def polls(self) -> PollService:
        assert self._polls is not None, "pages used before the application started"
        return self._polls

    @property
    def results(self) -> ResultsService:
        assert self._results is not None, "pages used before the application started"
        return self._results

    @property
    def casting(self) -> CastService:
        assert self._casting is not None, "pages used before the application started"
        return self._casting

    @property
    def ledger(self) -> LogService:
        assert self._ledger is not None, "pages used before the application started"
        return self._ledger

    async def get(self, session: Session | None, poll_id: str) -> PollRecord:
        return await self.polls.get(session, poll_id)

    async def sealed_size(self, poll: PollRecord) -> int | None:
        """How many ballots a cancelled poll's sealed log holds (its final checkpoint); None
        for any other poll, and for a cancelled one that never opened or is still sealing."""
        if poll.status != "cancelled" or not await self.ledger.closed(poll.id):
            return None
        return await self.ledger.size(poll.id)
