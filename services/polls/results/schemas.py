"""Wire formats of results and analytics."""

from __future__ import annotations

from services.polls.results.domain import PollResults
from shared.tally.results import Results
from shared.web.schemas import Output

__all__ = ("ResultsView", "results_view")


class ResultsView(Output, kw_only=True):
    poll: str
    status: str
    official: bool
    """True for the certified tally recomputed from the closed log; False for live counts."""
    results: Results
    certificate: str | None
    """The signed tally certificate (C2SP signed note), once tallied."""
    free_text: dict[str, tuple[str, ...]] | None = None
    """Free-text answers per question, sorted; only for the poll's organisation."""


def results_view(found: PollResults) -> ResultsView:
    return ResultsView(
        poll=found.poll.id,
        status=found.poll.status,
        official=found.official,
        results=found.results,
        certificate=found.certificate,
        free_text=found.free_text,
    )
