"""The page of a tallied poll's answers by municipality and by age band, for the poll's
officials and auditors: tables with suppressed cells shown as hidden, bars, and the CSV."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.exceptions import NotAuthorizedException
from litestar.params import FromPath
from litestar.response import Response

from services.polls.errors import PollsError
from services.polls.polls.domain import PollService
from services.polls.results.domain import MIN_K, ResultsService
from shared.tally.definition import (
    MultipleChoice,
    ProjectVote,
    Question,
    Ranking,
    SingleChoice,
)
from shared.web.ui.pages import current_session, page

__all__ = ("AnswersPages",)


def _labels(question: Question) -> dict[str, str]:
    """What each column of a question's table is called on the page."""
    match question:
        case SingleChoice(options=options) | MultipleChoice(options=options):
            return {o.id: o.label for o in options}
        case Ranking(options=options):
            return {o.id: o.label for o in options}
        case ProjectVote(projects=projects):
            return {p.id: p.title for p in projects}
    return {}


async def _municipality_names(request: Request[Any, Any, Any], codes: set[str]) -> dict[str, str]:
    territory = getattr(request.app.state, "territory", None)
    if territory is None or not codes:
        return {}
    found = await territory.municipalities(codes)
    return {code: record.name for code, record in found.items()}


class AnswersPages(Controller):
    path = "/polls/{poll_id:str}/answers"
    include_in_schema = False

    @get("/")
    async def answers(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        polls: NamedDependency[PollService],
        results: NamedDependency[ResultsService],
    ) -> Response[Any]:
        session = current_session(request)
        if session is None:
            # Like the analytics API: for officials and auditors, never the public.
            raise NotAuthorizedException(
                detail="Sign in as an official of the poll's organisation or an auditor."
            )
        poll = await polls.get(session, poll_id)
        try:
            breakdown = await results.answers(session, poll_id, MIN_K)
        except PollsError as exc:
            if exc.slug != "answers-not-available":
                raise
            return page(
                request,
                "polls/answers.html",
                status_code=exc.status,
                poll=poll,
                breakdown=None,
            )
        questions = {q.id: q for q in poll.definition.questions}
        codes = {
            row.key
            for table in breakdown.tables
            if table.dimension == "municipality"
            for row in table.rows
        }
        return page(
            request,
            "polls/answers.html",
            poll=poll,
            breakdown=breakdown,
            questions=questions,
            labels={qid: _labels(q) for qid, q in questions.items()},
            names=await _municipality_names(request, codes),
        )
