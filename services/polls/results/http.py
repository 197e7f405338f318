"""HTTP endpoints of results and turnout analytics."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from services.polls.results.answers import AnswerBreakdown
from services.polls.results.csv_export import analytics_csv, answers_csv, results_csv
from services.polls.results.domain import MIN_K, Analytics, ResultsService
from services.polls.results.schemas import ResultsView, results_view
from shared.identity import Session
from shared.web.openapi import problems

__all__ = ("ResultsController",)


class ResultsController(Controller):
    path = "/api/v1/polls/{poll_id:str}"
    tags = ["results"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/results", responses=problems(409))
    async def poll_results(
        self,
        poll_id: FromPath[str],
        optional_session: NamedDependency[Session | None],
        results: NamedDependency[ResultsService],
    ) -> ResultsView:
        """The certified tally once tallied; live counts before that only if the poll
        shows intermediate results (409 results-not-available otherwise)."""
        return results_view(await results.results(optional_session, poll_id))

    @get("/analytics")
    async def poll_analytics(
        self,
        poll_id: FromPath[str],
        session: NamedDependency[Session],
        results: NamedDependency[ResultsService],
        k: Annotated[int, QueryParameter(ge=MIN_K, le=1000)] = MIN_K,
    ) -> Analytics:
        """Turnout by municipality, age band and hour; cells under k voters suppressed."""
        return await results.analytics(session, poll_id, k)

    @get("/results.csv", media_type="text/csv", responses=problems(409))
    async def poll_results_csv(
        self,
        poll_id: FromPath[str],
        optional_session: NamedDependency[Session | None],
        results: NamedDependency[ResultsService],
    ) -> Response[str]:
        """The results as CSV (question, kind, item, measure, value), same access rules."""
        view = results_view(await results.results(optional_session, poll_id))
        return _attachment(results_csv(view), f"results-{poll_id}.csv")

    @get("/analytics.csv", media_type="text/csv")
    async def poll_analytics_csv(
        self,
        poll_id: FromPath[str],
        session: NamedDependency[Session],
        results: NamedDependency[ResultsService],
        k: Annotated[int, QueryParameter(ge=MIN_K, le=1000)] = MIN_K,
    ) -> Response[str]:
        """Turnout cells as CSV; suppressed cells read "suppressed"."""
        analytics = await results.analytics(session, poll_id, k)
        return _attachment(analytics_csv(analytics), f"analytics-{poll_id}.csv")

    @get("/answers", responses=problems(409))
    async def poll_answers(
        self,
        poll_id: FromPath[str],
        session: NamedDependency[Session],
        results: NamedDependency[ResultsService],
        k: Annotated[int, QueryParameter(ge=MIN_K, le=1000)] = MIN_K,
    ) -> AnswerBreakdown:
        """Answers by municipality and age band, counted at the tally; cells under k
        voters and their complements suppressed (409 answers-not-available before)."""
        return await results.answers(session, poll_id, k)

    @get("/answers.csv", media_type="text/csv", responses=problems(409))
    async def poll_answers_csv(
        self,
        poll_id: FromPath[str],
        session: NamedDependency[Session],
        results: NamedDependency[ResultsService],
        k: Annotated[int, QueryParameter(ge=MIN_K, le=1000)] = MIN_K,
    ) -> Response[str]:
        """Answers by group as CSV; suppressed cells read "suppressed"."""
        breakdown = await results.answers(session, poll_id, k)
        return _attachment(answers_csv(breakdown), f"answers-{poll_id}.csv")


def _attachment(text: str, filename: str) -> Response[str]:
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
