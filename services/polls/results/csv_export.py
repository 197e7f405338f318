"""Results and analytics as CSV for spreadsheets: one long table, one row per figure.

Long format (question, kind, item, measure, value) rather than one column per option, so every
poll, whatever its questions, exports into the same five columns.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from services.polls.results.answers import AnswerBreakdown
from services.polls.results.domain import Analytics
from services.polls.results.schemas import ResultsView
from shared.tally.count import (
    FreeTextResult,
    MultipleChoiceResult,
    ProjectVoteResult,
    RankingResult,
    ScaleResult,
    SingleChoiceResult,
)

__all__ = ("analytics_csv", "answers_csv", "results_csv")

Row = tuple[str, str, str, str, str | int]


def _question_rows(view: ResultsView) -> Iterator[Row]:
    for result in view.results.questions:
        q = result.question
        kind = str(result.__struct_config__.tag)  # the question kind is the union's tag
        yield (q, kind, "", "answered", result.answered)
        match result:
            case SingleChoiceResult() | MultipleChoiceResult():
                for option in result.options:
                    yield (q, kind, option.option, "count", option.count)
                    yield (q, kind, option.option, "share", option.share)
            case RankingResult():
                for ranked in result.options:
                    yield (q, kind, ranked.option, "borda", ranked.borda)
                    yield (q, kind, ranked.option, "first", ranked.first)
                    yield (q, kind, ranked.option, "mean_rank", ranked.mean_rank or "")
            case ScaleResult():
                yield (q, kind, "", "mean", result.mean or "")
                for point in result.distribution:
                    yield (q, kind, str(point.value), "count", point.count)
            case ProjectVoteResult():
                for project in result.projects:
                    yield (q, kind, project.project, "votes", project.votes)
                    yield (q, kind, project.project, "supporters", project.supporters)
            case FreeTextResult():
                pass


def _allocation_rows(view: ResultsView) -> Iterator[Row]:
    allocation = view.results.allocation
    if allocation is None:
        return
    yield ("allocation", allocation.rule, "", "budget", allocation.budget)
    yield ("allocation", allocation.rule, "", "spent", allocation.spent)
    yield ("allocation", allocation.rule, "", "remaining", allocation.remaining)
    for outcome in allocation.projects:
        verdict = f"funded ({outcome.funded_by})" if outcome.funded else "not funded"
        yield ("allocation", allocation.rule, outcome.project, "cost", outcome.cost)
        yield ("allocation", allocation.rule, outcome.project, "outcome", verdict)
        if outcome.reason is not None:
            yield ("allocation", allocation.rule, outcome.project, "reason", outcome.reason)


def _write(header: tuple[str, ...], rows: Iterator[tuple[object, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def results_csv(view: ResultsView) -> str:
    rows: Iterator[Row] = iter(
        [
            ("poll", view.status, view.poll, "ballots", view.results.ballots),
            *_question_rows(view),
            *_allocation_rows(view),
        ]
    )
    return _write(("question", "kind", "item", "measure", "value"), rows)


def analytics_csv(analytics: Analytics) -> str:
    """Turnout cells; a suppressed cell (fewer than k voters) reads "suppressed", never a number."""
    rows = (
        (dimension, cell.key, "suppressed" if cell.suppressed else cell.voters)
        for dimension, cells in (
            ("municipality", analytics.by_municipality),
            ("age_band", analytics.by_age_band),
            ("hour", analytics.by_hour),
        )
        for cell in cells
    )
    return _write(("dimension", "key", "voters"), rows)


def answers_csv(breakdown: AnswerBreakdown) -> str:
    """Answers by group; a suppressed cell reads "suppressed", never a number."""
    rows = (
        (
            table.question,
            table.dimension,
            row.key,
            answer,
            "suppressed" if n is None else n,
        )
        for table in breakdown.tables
        for row in table.rows
        for answer, n in zip(table.answers, row.counts, strict=True)
    )
    return _write(("question", "dimension", "group", "answer", "voters"), rows)
