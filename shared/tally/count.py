"""Per-question counts from validated ballot entries, in one pass.

Every list in the output follows the definition's order (options, scale points, projects), so
the same entries always give the same bytes. The canonical encoding allows no floats, so shares
and means are decimal strings with exactly 6 decimals (``"0.333333"``), computed from the
integer counts with exact arithmetic and rounded half up; the counts themselves are published
beside them, so anyone can recompute them.

Free-text answers are only counted here; the texts themselves are for the organisation and come
from :func:`free_text_answers`, never from the published results.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeAlias

from shared.tally.ballot import BallotEntry
from shared.tally.definition import (
    Cumulative,
    FreeText,
    Id,
    MultipleChoice,
    PollDefinition,
    ProjectVote,
    Question,
    Ranking,
    Scale,
    SingleChoice,
    TallyStruct,
)

__all__ = (
    "Counted",
    "FreeTextResult",
    "MultipleChoiceResult",
    "OptionCount",
    "ProjectBallot",
    "ProjectCount",
    "ProjectVoteResult",
    "QuestionResult",
    "RankedOption",
    "RankingResult",
    "ScalePoint",
    "ScaleResult",
    "SingleChoiceResult",
    "count_entries",
    "decimal",
    "free_text_answers",
    "project_ballot",
)

DECIMALS = 6

ProjectBallot: TypeAlias = tuple[tuple[str, int], ...]
"""A project-vote answer as (project id, points) pairs sorted by id; an approval is 1 point."""


class _ResultBase(TallyStruct, tag_field="kind", frozen=True, kw_only=True):
    question: Id
    answered: int
    """Ballots that answered this question."""


class OptionCount(TallyStruct, frozen=True, kw_only=True):
    option: Id
    count: int
    share: str
    """``count / answered``: for multiple choice the shares add up to more than 1."""


class SingleChoiceResult(_ResultBase, tag="single_choice", frozen=True, kw_only=True):
    options: tuple[OptionCount, ...]


class MultipleChoiceResult(_ResultBase, tag="multiple_choice", frozen=True, kw_only=True):
    options: tuple[OptionCount, ...]


class RankedOption(TallyStruct, frozen=True, kw_only=True):
    option: Id
    borda: int
    """Borda score: an option ranked at position i (0 = best) of n options gets n - 1 - i
    points per ballot; an option left out of a top-k ranking gets 0."""
    ranked: int
    """Ballots that ranked this option at all."""
    first: int
    """Ballots that ranked this option first."""
    mean_rank: str | None
    """Mean position (1 = best) over the ballots that ranked it; ``None`` if none did."""


class RankingResult(_ResultBase, tag="ranking", frozen=True, kw_only=True):
    options: tuple[RankedOption, ...]


class ScalePoint(TallyStruct, frozen=True, kw_only=True):
    value: int
    count: int


class ScaleResult(_ResultBase, tag="scale", frozen=True, kw_only=True):
    mean: str | None
    distribution: tuple[ScalePoint, ...]
    """Every point of the scale from min to max, including those nobody chose."""


class FreeTextResult(_ResultBase, tag="free_text", frozen=True, kw_only=True):
    pass


class ProjectCount(TallyStruct, frozen=True, kw_only=True):
    project: Id
    votes: int
    """Approvals, or points for a cumulative ballot."""
    supporters: int
    """Ballots that gave the project an approval or at least one point."""


class ProjectVoteResult(_ResultBase, tag="project_vote", frozen=True, kw_only=True):
    projects: tuple[ProjectCount, ...]


QuestionResult: TypeAlias = (
    SingleChoiceResult
    | MultipleChoiceResult
    | RankingResult
    | ScaleResult
    | FreeTextResult
    | ProjectVoteResult
)


@dataclass(frozen=True, slots=True)
class Counted:
    """What one pass over the entries gives: per-question results and the project profile."""

    ballots: int
    questions: tuple[QuestionResult, ...]
    project_ballots: Counter[ProjectBallot] = field(default_factory=Counter)
    """Each distinct project-vote answer with how many ballots gave it (empty for surveys)."""


def project_ballot(question: ProjectVote, answer: object) -> ProjectBallot:
    """The sorted (project, points) form of a validated project-vote answer."""
    if isinstance(question.ballot_kind, Cumulative):
        assert isinstance(answer, Mapping)
        return tuple(sorted((str(k), int(v)) for k, v in answer.items()))
    assert isinstance(answer, list | tuple)
    return tuple(sorted((str(p), 1) for p in answer))


def count_entries(definition: PollDefinition, entries: Iterable[BallotEntry]) -> Counted:
    """Count validated entries (see :func:`shared.tally.ballot.validate_entry`) in one pass."""
    tallies = [_Tally(q) for q in definition.questions]
    project_ballots: Counter[ProjectBallot] = Counter()
    ballots = 0
    for entry in entries:
        ballots += 1
        answers = entry.answers
        for tally in tallies:
            answer = answers.get(tally.question.id)
            if answer is not None:
                tally.add(answer)
                if isinstance(tally.question, ProjectVote):
                    project_ballots[project_ballot(tally.question, answer)] += 1
    return Counted(
        ballots=ballots,
        questions=tuple(t.result() for t in tallies),
        project_ballots=project_ballots,
    )


def free_text_answers(
    definition: PollDefinition, entries: Iterable[BallotEntry]
) -> dict[str, tuple[str, ...]]:
    """The free-text answers per question, for the organisation only.

    Sorted, so the list does not reveal the order in which ballots were cast.
    """
    texts: dict[str, list[str]] = {
        q.id: [] for q in definition.questions if isinstance(q, FreeText)
    }
    for entry in entries:
        for question_id, bucket in texts.items():
            answer = entry.answers.get(question_id)
            if isinstance(answer, str):
                bucket.append(answer)
    return {question_id: tuple(sorted(bucket)) for question_id, bucket in texts.items()}


def decimal(numerator: int, denominator: int) -> str:
    """``numerator / denominator`` (denominator > 0) with 6 decimals, rounded half up."""
    scale = 10**DECIMALS
    magnitude = (2 * abs(numerator) * scale + denominator) // (2 * denominator)
    whole, fraction = divmod(magnitude, scale)
    sign = "-" if numerator < 0 and magnitude else ""
    return f"{sign}{whole}.{fraction:0{DECIMALS}d}"


def _share(count: int, total: int) -> str:
    return decimal(count, total) if total else decimal(0, 1)


class _Tally:
    """Running counts for one question."""

    def __init__(self, question: Question) -> None:
        self.question = question
        self.answered = 0
        # Keyed by option id, scale value or project id; one Counter serves every kind.
        self.counts: Counter[str | int] = Counter()
        self.extra: Counter[str] = Counter()
        self.rank_sum: Counter[str] = Counter()
        self.first: Counter[str] = Counter()

    def add(self, answer: object) -> None:
        self.answered += 1
        match self.question:
            case SingleChoice():
                assert isinstance(answer, str)
                self.counts[answer] += 1
            case MultipleChoice():
                assert isinstance(answer, list | tuple)
                self.counts.update(str(a) for a in answer)
            case Ranking(options=options):
                assert isinstance(answer, list | tuple)
                for position, option in enumerate(str(a) for a in answer):
                    self.counts[option] += len(options) - 1 - position
                    self.extra[option] += 1
                    self.rank_sum[option] += position + 1
                if answer:
                    self.first[str(answer[0])] += 1
            case Scale():
                assert isinstance(answer, int)
                self.counts[answer] += 1
            case FreeText():
                pass
            case ProjectVote(ballot_kind=Cumulative()):
                assert isinstance(answer, Mapping)
                for project, points in answer.items():
                    self.counts[str(project)] += int(points)
                    self.extra[str(project)] += 1
            case ProjectVote():
                assert isinstance(answer, list | tuple)
                for project in answer:
                    self.counts[str(project)] += 1
                    self.extra[str(project)] += 1

    def result(self) -> QuestionResult:
        question, answered, counts = self.question, self.answered, self.counts
        match question:
            case SingleChoice(options=options):
                return SingleChoiceResult(
                    question=question.id,
                    answered=answered,
                    options=tuple(
                        OptionCount(
                            option=o.id, count=counts[o.id], share=_share(counts[o.id], answered)
                        )
                        for o in options
                    ),
                )
            case MultipleChoice(options=options):
                return MultipleChoiceResult(
                    question=question.id,
                    answered=answered,
                    options=tuple(
                        OptionCount(
                            option=o.id, count=counts[o.id], share=_share(counts[o.id], answered)
                        )
                        for o in options
                    ),
                )
            case Ranking(options=options):
                return RankingResult(
                    question=question.id,
                    answered=answered,
                    options=tuple(self._ranked(o.id) for o in options),
                )
            case Scale(min=low, max=high):
                total = sum(int(value) * n for value, n in counts.items())
                return ScaleResult(
                    question=question.id,
                    answered=answered,
                    mean=decimal(total, answered) if answered else None,
                    distribution=tuple(
                        ScalePoint(value=v, count=counts[v]) for v in range(low, high + 1)
                    ),
                )
            case FreeText():
                return FreeTextResult(question=question.id, answered=answered)
            case ProjectVote(projects=projects):
                return ProjectVoteResult(
                    question=question.id,
                    answered=answered,
                    projects=tuple(
                        ProjectCount(project=p.id, votes=counts[p.id], supporters=self.extra[p.id])
                        for p in projects
                    ),
                )
        raise AssertionError(f"unhandled question kind {question!r}")  # pragma: no cover

    def _ranked(self, option: str) -> RankedOption:
        ranked = self.extra[option]
        return RankedOption(
            option=option,
            borda=int(self.counts[option]),
            ranked=ranked,
            first=self.first[option],
            mean_rank=decimal(self.rank_sum[option], ranked) if ranked else None,
        )
