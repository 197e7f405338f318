"""From the poll page's form fields to ballot answers, and from results to what the results
page draws.

Field names: ``q.<question id>`` for a question's value(s), in page order (so a ranking's
hidden inputs arrive best first), and ``q.<question id>.<project id>`` for cumulative points.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from shared.tally.allocation import Allocation
from shared.tally.ballot import visible_questions
from shared.tally.count import (
    MultipleChoiceResult,
    ProjectVoteResult,
    QuestionResult,
    RankingResult,
    ScaleResult,
    SingleChoiceResult,
)
from shared.tally.definition import (
    Cumulative,
    FreeText,
    MultipleChoice,
    PollDefinition,
    ProjectVote,
    Question,
    Ranking,
    Scale,
    SingleChoice,
)
from shared.tally.results import Results

__all__ = ("Bar", "QuestionView", "answers_from_form", "kind_of", "results_view")

Form = Mapping[str, Sequence[str]]


def kind_of(question: Question) -> str:
    return str(question.__struct_config__.tag)


def _values(form: Form, key: str) -> list[str]:
    return [v for v in form.get(key, ()) if v != ""]


def _answer(question: Question, form: Form) -> object | None:
    key = f"q.{question.id}"
    values = _values(form, key)
    match question:
        case SingleChoice():
            return values[0] if values else None
        case MultipleChoice():
            return tuple(values) if values else None
        case Ranking(top=top):
            return tuple(values[:top] if top else values) if values else None
        case Scale():
            if not values:
                return None
            try:
                return int(values[0])
            except ValueError:
                return values[0]
        case FreeText():
            text = values[0].strip() if values else ""
            return text or None
        case ProjectVote(ballot_kind=Cumulative()):
            points: dict[str, int] = {}
            for project in question.projects:
                raw = _values(form, f"{key}.{project.id}")
                if raw and raw[0].strip().lstrip("-").isdigit() and int(raw[0]) != 0:
                    points[project.id] = int(raw[0])
            return points
        case ProjectVote():
            return tuple(values)


def answers_from_form(definition: PollDefinition, form: Form) -> dict[str, object]:
    """The answers the form gives, without the answers to questions it hides."""
    answers = {
        question.id: answer
        for question in definition.questions
        if (answer := _answer(question, form)) is not None
    }
    shown = {q.id for q in visible_questions(definition, answers)}
    return {k: v for k, v in answers.items() if k in shown}


@dataclass(frozen=True, slots=True)
class Bar:
    label: str
    value: int
    note: str = ""
    """A word that says what the colour says, e.g. "funded"."""
    highlight: bool = False
    detail: str = ""


@dataclass(frozen=True, slots=True)
class QuestionView:
    text: str
    kind: str
    answered: int
    bars: tuple[Bar, ...] = ()
    whole: int = 0
    mean: str | None = None
    allocation: Allocation | None = None
    labels: dict[str, str] = field(default_factory=dict)


def _labels(question: Question) -> dict[str, str]:
    if isinstance(question, SingleChoice | MultipleChoice | Ranking):
        return {o.id: o.label for o in question.options}
    if isinstance(question, ProjectVote):
        return {p.id: p.title for p in question.projects}
    return {}


def results_view(
    definition: PollDefinition, results: Results, funded_note: str, unfunded_note: str
) -> list[QuestionView]:
    by_id: dict[str, QuestionResult] = {r.question: r for r in results.questions}
    views: list[QuestionView] = []
    for question in definition.questions:
        result = by_id.get(question.id)
        if result is None:
            continue
        labels = _labels(question)
        kind = kind_of(question)
        match result:
            case SingleChoiceResult() | MultipleChoiceResult():
                bars = tuple(Bar(labels.get(o.option, o.option), o.count) for o in result.options)
                views.append(
                    QuestionView(question.text, kind, result.answered, bars, result.answered)
                )
            case RankingResult():
                top = max((o.borda for o in result.options), default=0)
                bars = tuple(
                    Bar(
                        labels.get(o.option, o.option),
                        o.borda,
                        detail=f"{o.first}|{o.mean_rank or '—'}",
                    )
                    for o in result.options
                )
                views.append(QuestionView(question.text, kind, result.answered, bars, top))
            case ScaleResult():
                bars = tuple(Bar(str(p.value), p.count) for p in result.distribution)
                views.append(
                    QuestionView(
                        question.text, kind, result.answered, bars, result.answered, result.mean
                    )
                )
            case ProjectVoteResult():
                allocation = results.allocation
                funded = set(allocation.funded) if allocation else set()
                top = max((p.votes for p in result.projects), default=0)
                bars = tuple(
                    Bar(
                        labels.get(p.project, p.project),
                        p.votes,
                        note=funded_note if p.project in funded else unfunded_note,
                        highlight=p.project in funded,
                    )
                    for p in sorted(result.projects, key=lambda p: -p.votes)
                )
                views.append(
                    QuestionView(
                        question.text,
                        kind,
                        result.answered,
                        bars,
                        top,
                        allocation=allocation,
                        labels=labels,
                    )
                )
            case _:
                views.append(QuestionView(question.text, kind, result.answered))
    return views
