"""Answers broken down by municipality and by age band: counted once, at the tally, from the
certified ballots, and published only with small cells suppressed.

A ballot on the board carries no fact about its voter. The one place that links a voter's
municipality and age band to a ballot is the voter's sealed receipt details, opened with the
service secret; the scheduler reads them exactly once, after the poll is tallied and just
before it erases them (:mod:`services.polls.scheduler`), counts the answers of the certified
ballots per group, suppresses every cell under :data:`~services.polls.results.domain.MIN_K`
with its complements (:mod:`services.polls.results.suppression`) and stores only that. Nothing
finer than the suppressed table is kept anywhere, nothing is counted while a poll is open, and
a larger ``k`` asked for later suppresses the stored table further.

What each cell counts, per question kind: a single or multiple choice, the voters who chose
the option; a ranking, the voters who ranked the option first; a scale, the voters who gave the
value; a project vote, the voters who supported the project. Free text is not broken down.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping

import msgspec

from services.polls.results.suppression import hidden_cells
from shared.tally.ballot import BallotEntry
from shared.tally.count import project_ballot
from shared.tally.definition import (
    FreeText,
    MultipleChoice,
    PollDefinition,
    ProjectVote,
    Question,
    Ranking,
    Scale,
    SingleChoice,
)

__all__ = (
    "DIMENSIONS",
    "AnswerBreakdown",
    "AnswerRow",
    "AnswerTable",
    "Voter",
    "count_answers",
    "decode_breakdown",
    "encode_breakdown",
    "suppressed_further",
)

DIMENSIONS = ("municipality", "age_band")


class Voter(msgspec.Struct, frozen=True, kw_only=True):
    """The two coarse facts analytics keep about a voter, with their ballot."""

    municipality: str
    age_band: str
    entry: BallotEntry


class AnswerRow(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    """The municipality's OKTMO code or the age band."""
    counts: tuple[int | None, ...]
    """One per answer of the table, in its order; None where suppressed."""


class AnswerTable(msgspec.Struct, frozen=True, kw_only=True):
    question: str
    kind: str
    dimension: str
    """``municipality`` or ``age_band``."""
    answers: tuple[str, ...]
    """Option ids, scale values or project ids: the table's columns."""
    rows: tuple[AnswerRow, ...]


class AnswerBreakdown(msgspec.Struct, frozen=True, kw_only=True):
    poll: str
    k: int
    """No published cell is under k, and no hidden one can be worked out from the others."""
    voters: int
    tables: tuple[AnswerTable, ...]


def _columns(question: Question) -> tuple[str, ...]:
    match question:
        case SingleChoice(options=options) | MultipleChoice(options=options):
            return tuple(o.id for o in options)
        case Ranking(options=options):
            return tuple(o.id for o in options)
        case Scale(min=low, max=high):
            return tuple(str(v) for v in range(low, high + 1))
        case ProjectVote(projects=projects):
            return tuple(p.id for p in projects)
    return ()


def _chosen(question: Question, answer: object) -> set[str]:
    """The columns one voter's answer counts in (each at most once)."""
    match question:
        case SingleChoice():
            return {str(answer)}
        case MultipleChoice():
            return {str(a) for a in answer} if isinstance(answer, list | tuple) else set()
        case Ranking():
            return {str(answer[0])} if isinstance(answer, list | tuple) and answer else set()
        case Scale():
            return {str(answer)}
        case ProjectVote():
            return {project for project, points in project_ballot(question, answer) if points}
    return set()


def count_answers(
    definition: PollDefinition, poll_id: str, voters: Iterable[Voter], k: int
) -> AnswerBreakdown:
    """Count the voters' answers per group and question, and suppress the tables at ``k``."""
    questions = [q for q in definition.questions if not isinstance(q, FreeText)]
    counts: dict[tuple[str, str], Counter[tuple[str, str]]] = {}
    groups: dict[str, set[str]] = {d: set() for d in DIMENSIONS}
    total = 0
    for voter in voters:
        total += 1
        keys = {"municipality": voter.municipality, "age_band": voter.age_band}
        for dimension, key in keys.items():
            groups[dimension].add(key)
        for question in questions:
            if question.id not in voter.entry.answers:
                continue
            for column in _chosen(question, voter.entry.answers[question.id]):
                for dimension, key in keys.items():
                    counts.setdefault((dimension, question.id), Counter())[key, column] += 1
    tables = [
        _table(
            question,
            dimension,
            sorted(groups[dimension]),
            counts.get((dimension, question.id), Counter()),
            k,
        )
        for question in questions
        for dimension in DIMENSIONS
    ]
    return AnswerBreakdown(poll=poll_id, k=k, voters=total, tables=tuple(tables))


def _table(
    question: Question,
    dimension: str,
    rows: list[str],
    counts: Mapping[tuple[str, str], int | None],
    k: int,
) -> AnswerTable:
    columns = _columns(question)
    hidden = hidden_cells(rows, columns, counts, k)
    return AnswerTable(
        question=question.id,
        kind=str(question.__struct_config__.tag),
        dimension=dimension,
        answers=columns,
        rows=tuple(
            AnswerRow(
                key=row,
                counts=tuple(
                    None if (row, column) in hidden else counts.get((row, column), 0)
                    for column in columns
                ),
            )
            for row in rows
        ),
    )


def suppressed_further(breakdown: AnswerBreakdown, k: int) -> AnswerBreakdown:
    """The stored breakdown at a larger ``k`` (cells already hidden stay hidden)."""
    if k <= breakdown.k:
        return breakdown
    tables = []
    for table in breakdown.tables:
        rows = [row.key for row in table.rows]
        counts = {
            (row.key, column): n
            for row in table.rows
            for column, n in zip(table.answers, row.counts, strict=True)
        }
        hidden = hidden_cells(rows, table.answers, counts, k)
        tables.append(
            msgspec.structs.replace(
                table,
                rows=tuple(
                    AnswerRow(
                        key=row.key,
                        counts=tuple(
                            None if (row.key, column) in hidden else n
                            for column, n in zip(table.answers, row.counts, strict=True)
                        ),
                    )
                    for row in table.rows
                ),
            )
        )
    return msgspec.structs.replace(breakdown, k=k, tables=tuple(tables))


def encode_breakdown(breakdown: AnswerBreakdown) -> bytes:
    return msgspec.json.encode(breakdown)


def decode_breakdown(data: bytes) -> AnswerBreakdown:
    return msgspec.json.decode(data, type=AnswerBreakdown)
