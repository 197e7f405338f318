"""The frozen definition of a poll: what it asks and which answers it can accept.

A definition is what officials build in the question builder, what gets frozen when the poll is
scheduled, and what the auditor's tool reads from the board to recompute the tally. It is plain
data (msgspec Structs) plus :func:`validate_definition`, which checks the rules a schema cannot
express (unique ids, ``min <= max``, conditions that point backwards, a budget that can fund
something). :func:`decode_definition` does both, so nothing unvalidated gets past it.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

__all__ = (
    "FORMAT_VERSION",
    "Approval",
    "BallotKind",
    "ChoiceQuestion",
    "CostLimitedApproval",
    "Cumulative",
    "DefinitionError",
    "FreeText",
    "Id",
    "Issue",
    "MultipleChoice",
    "Option",
    "PollDefinition",
    "PollKind",
    "Project",
    "ProjectVote",
    "Question",
    "Ranking",
    "Rule",
    "Scale",
    "ShowIf",
    "SingleChoice",
    "TallyStruct",
    "decode_definition",
    "encode_definition",
    "validate_definition",
)

FORMAT_VERSION: Literal[1] = 1
"""Version of the definition, ballot entry and results formats; bumped on any breaking change."""

# Constraint aliases, defined once. Ids are stable across versions of a poll and appear in
# ballots, results and .pb exports, so they are restricted to characters that need no escaping
# anywhere (JSON, CSV with ';' and ',', URLs).
Id = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
Title = Annotated[str, Meta(min_length=1, max_length=300)]
Prompt = Annotated[str, Meta(min_length=1, max_length=2000)]
Label = Annotated[str, Meta(min_length=1, max_length=300)]
EndLabel = Annotated[str, Meta(min_length=1, max_length=100)]
Description = Annotated[str, Meta(max_length=10_000)]
Count = Annotated[int, Meta(ge=0, le=10_000)]
ScaleBound = Annotated[int, Meta(ge=-1000, le=1000)]
# Roubles, whole. The upper bound keeps sums far from float trouble in any consumer.
Roubles = Annotated[int, Meta(gt=0, le=10**15)]
TextLimit = Annotated[int, Meta(ge=1, le=2000)]

PollKind = Literal["survey", "project_vote"]
Rule = Literal["greedy", "equal_shares", "phragmen"]

MAX_SCALE_POINTS = 101
"""A scale has at most this many points (0-100), so its distribution stays a small table."""


class TallyStruct(
    msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True, omit_defaults=False
):
    """Base of every struct in the tally formats.

    Frozen because definitions, ballot entries and results are hashed and signed and must not
    change after they are built; keyword-only so that appending a field with a default never
    breaks a caller; unknown fields refused so that a typo is an error rather than a silently
    ignored setting; defaults always encoded so that the canonical bytes spell everything out.
    """


class Issue(TallyStruct, frozen=True, kw_only=True):
    """One problem found in a definition or a ballot: where, and what is wrong."""

    path: str
    """Dotted path into the submitted document, e.g. ``questions.q2.max_choices``."""
    reason: str
    """A sentence for a person, saying what is wrong and what would be right."""


class DefinitionError(ValueError):
    """The definition breaks a rule; ``issues`` lists every problem found, not just the first."""

    def __init__(self, issues: list[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("; ".join(f"{i.path}: {i.reason}" for i in issues))


class Option(TallyStruct, frozen=True, kw_only=True):
    """An answer option of a choice or ranking question."""

    id: Id
    label: Label


Options = Annotated[tuple[Option, ...], Meta(min_length=2, max_length=100)]


class ShowIf(TallyStruct, frozen=True, kw_only=True):
    """Conditional display: the question is shown only if an earlier answer matches.

    ``equals`` applies to a single-choice question (its answer is ``option``); ``includes`` to a
    multiple-choice or ranking question (``option`` is among the chosen or ranked ones). A
    question whose condition refers to a hidden question is hidden too.
    """

    question: Id
    op: Literal["equals", "includes"]
    option: Id


class _QuestionBase(TallyStruct, tag_field="kind", frozen=True, kw_only=True):
    id: Id
    text: Prompt
    required: bool = True
    show_if: ShowIf | None = None


class SingleChoice(_QuestionBase, tag="single_choice", frozen=True, kw_only=True):
    """Pick exactly one option. Answer: the option id, e.g. ``"yes"``."""

    options: Options


class MultipleChoice(_QuestionBase, tag="multiple_choice", frozen=True, kw_only=True):
    """Pick between ``min_choices`` and ``max_choices`` options. Answer: ``["a", "c"]``."""

    options: Options
    min_choices: Count = 1
    max_choices: Count | None = None
    """``None`` means up to all options."""


class Ranking(_QuestionBase, tag="ranking", frozen=True, kw_only=True):
    """Order the options, best first. Answer: ``["c", "a", "b"]``.

    With ``top`` set, exactly ``top`` options are ranked (top-k); otherwise all of them.
    """

    options: Options
    top: Count | None = None


class Scale(_QuestionBase, tag="scale", frozen=True, kw_only=True):
    """An integer from ``min`` to ``max`` in steps of 1. Answer: ``4``."""

    min: ScaleBound
    max: ScaleBound
    min_label: EndLabel | None = None
    max_label: EndLabel | None = None


class FreeText(_QuestionBase, tag="free_text", frozen=True, kw_only=True):
    """Bounded free text. Answer: ``"..."`` (1 to ``max_length`` characters)."""

    max_length: TextLimit = 1000


class Project(TallyStruct, frozen=True, kw_only=True):
    """A local project citizens can vote for."""

    id: Id
    title: Title
    description: Description = ""
    cost: Roubles
    district: Label | None = None


class _BallotKindBase(TallyStruct, tag_field="kind", frozen=True, kw_only=True):
    pass


class Approval(_BallotKindBase, tag="approval", frozen=True, kw_only=True):
    """Approve 1 to ``max_approvals`` projects. Answer: ``["p1", "p4"]``."""

    max_approvals: Annotated[int, Meta(ge=1, le=1000)]


class CostLimitedApproval(_BallotKindBase, tag="cost_limited_approval", frozen=True, kw_only=True):
    """Approve any projects whose total cost fits the budget (knapsack). Answer: ``["p1"]``."""


class Cumulative(_BallotKindBase, tag="cumulative", frozen=True, kw_only=True):
    """Spread up to ``points`` points, at most ``max_per_project`` on one project.

    Answer: ``{"p1": 3, "p4": 2}``; every listed project gets at least one point.
    """

    points: Annotated[int, Meta(ge=1, le=1000)]
    max_per_project: Annotated[int, Meta(ge=1, le=1000)]


BallotKind = Approval | CostLimitedApproval | Cumulative


class ProjectVote(_QuestionBase, tag="project_vote", frozen=True, kw_only=True):
    """Participatory budgeting: choose local projects to fund within ``budget``.

    ``rule`` is the allocation rule that turns the votes into funded projects (see
    :mod:`shared.tally.allocation`).
    """

    projects: Annotated[tuple[Project, ...], Meta(min_length=1, max_length=1000)]
    budget: Roubles
    ballot_kind: BallotKind
    rule: Rule


Question = SingleChoice | MultipleChoice | Ranking | Scale | FreeText | ProjectVote
ChoiceQuestion = SingleChoice | MultipleChoice | Ranking


class PollDefinition(TallyStruct, frozen=True, kw_only=True):
    """What a poll asks, frozen when the poll is scheduled."""

    v: Literal[1] = FORMAT_VERSION
    id: Id
    """The poll id; every ballot entry names it."""
    kind: PollKind
    title: Title
    questions: Annotated[tuple[Question, ...], Meta(min_length=1, max_length=200)]


_decoder = msgspec.json.Decoder(PollDefinition)
_encoder = msgspec.json.Encoder()


def decode_definition(data: bytes) -> PollDefinition:
    """Decode and validate a definition; raises :class:`DefinitionError` on any problem."""
    try:
        definition = _decoder.decode(data)
    except msgspec.ValidationError as exc:
        raise DefinitionError([Issue(path=_path_of(exc), reason=str(exc))]) from exc
    except msgspec.DecodeError as exc:
        raise DefinitionError([Issue(path="$", reason=f"not valid JSON: {exc}")]) from exc
    validate_definition(definition)
    return definition


def encode_definition(definition: PollDefinition) -> bytes:
    """JSON of a definition, fields in declaration order (for storage and the board)."""
    return _encoder.encode(definition)


def _path_of(exc: msgspec.ValidationError) -> str:
    # msgspec ends its messages with "- at `$.questions[0].id`"; keep that path for the 4xx.
    message = str(exc)
    marker = " - at `"
    if marker in message and message.endswith("`"):
        return message.rsplit(marker, 1)[1][:-1]
    return "$"


def validate_definition(definition: PollDefinition) -> None:
    """Check the rules the schema cannot; raise :class:`DefinitionError` listing every issue."""
    issues: list[Issue] = []
    earlier: dict[str, Question] = {}
    project_votes = 0
    for index, question in enumerate(definition.questions):
        path = f"questions.{question.id}"
        if question.id in earlier:
            issues.append(
                Issue(
                    path=f"questions[{index}].id", reason=f"duplicate question id {question.id!r}"
                )
            )
        if question.show_if is not None:
            issues.extend(_check_condition(path, question.show_if, earlier))
        match question:
            case SingleChoice() | MultipleChoice() | Ranking():
                issues.extend(_check_choice(path, question))
            case Scale():
                issues.extend(_check_scale(path, question))
            case FreeText():
                pass
            case ProjectVote():
                project_votes += 1
                issues.extend(_check_project_vote(path, question, definition.kind))
        earlier.setdefault(question.id, question)
    if definition.kind == "project_vote" and project_votes != 1:
        issues.append(
            Issue(
                path="questions",
                reason="a project vote has exactly one project_vote question, "
                f"found {project_votes}",
            )
        )
    if issues:
        raise DefinitionError(issues)


def _check_condition(path: str, show_if: ShowIf, earlier: dict[str, Question]) -> list[Issue]:
    where = f"{path}.show_if"
    target = earlier.get(show_if.question)
    if target is None:
        return [
            Issue(
                path=f"{where}.question",
                reason=f"{show_if.question!r} is not an earlier question; "
                "a condition may only refer to a question asked before it",
            )
        ]
    issues: list[Issue] = []
    if show_if.op == "equals" and not isinstance(target, SingleChoice):
        issues.append(
            Issue(
                path=f"{where}.op",
                reason=f"'equals' needs a single_choice question, {show_if.question!r} is "
                f"{target.__struct_config__.tag}",
            )
        )
    elif show_if.op == "includes" and not isinstance(target, MultipleChoice | Ranking):
        issues.append(
            Issue(
                path=f"{where}.op",
                reason=f"'includes' needs a multiple_choice or ranking question, "
                f"{show_if.question!r} is {target.__struct_config__.tag}",
            )
        )
    elif isinstance(target, SingleChoice | MultipleChoice | Ranking) and show_if.option not in {
        o.id for o in target.options
    }:
        issues.append(
            Issue(
                path=f"{where}.option",
                reason=f"{show_if.option!r} is not an option of {show_if.question!r}",
            )
        )
    return issues


def _check_choice(path: str, question: SingleChoice | MultipleChoice | Ranking) -> list[Issue]:
    issues = _duplicates(f"{path}.options", [o.id for o in question.options], "option")
    count = len(question.options)
    match question:
        case MultipleChoice(min_choices=low, max_choices=high):
            top = count if high is None else high
            if top > count:
                issues.append(
                    Issue(
                        path=f"{path}.max_choices",
                        reason=f"max_choices {top} exceeds the {count} options",
                    )
                )
            if top < 1:
                issues.append(Issue(path=f"{path}.max_choices", reason="max_choices must be >= 1"))
            if low > top:
                issues.append(
                    Issue(
                        path=f"{path}.min_choices",
                        reason=f"min_choices {low} exceeds max_choices {top}",
                    )
                )
        case Ranking(top=top) if top is not None and not 1 <= top <= count:
            issues.append(
                Issue(path=f"{path}.top", reason=f"top must be between 1 and {count}, got {top}")
            )
        case _:
            pass
    return issues


def _check_scale(path: str, question: Scale) -> list[Issue]:
    if question.min >= question.max:
        return [
            Issue(
                path=f"{path}.min",
                reason=f"min {question.min} must be less than max {question.max}",
            )
        ]
    if question.max - question.min + 1 > MAX_SCALE_POINTS:
        return [
            Issue(
                path=f"{path}.max",
                reason=f"a scale has at most {MAX_SCALE_POINTS} points, "
                f"{question.min}..{question.max} has {question.max - question.min + 1}",
            )
        ]
    return []


def _check_project_vote(path: str, question: ProjectVote, poll_kind: PollKind) -> list[Issue]:
    issues = _duplicates(f"{path}.projects", [p.id for p in question.projects], "project")
    if poll_kind != "project_vote":
        issues.append(
            Issue(path=path, reason="a project_vote question belongs in a project_vote poll")
        )
    # The binding vote is the point of the poll: it is always asked and always answered.
    if question.show_if is not None:
        issues.append(Issue(path=f"{path}.show_if", reason="a project vote cannot be conditional"))
    if not question.required:
        issues.append(Issue(path=f"{path}.required", reason="a project vote is always required"))
    for project in question.projects:
        if project.cost > question.budget:
            issues.append(
                Issue(
                    path=f"{path}.projects.{project.id}.cost",
                    reason=f"cost {project.cost} exceeds the budget {question.budget}, "
                    "so the project could never be funded",
                )
            )
    match question.ballot_kind:
        case Approval(max_approvals=k) if k > len(question.projects):
            issues.append(
                Issue(
                    path=f"{path}.ballot_kind.max_approvals",
                    reason=f"max_approvals {k} exceeds the {len(question.projects)} projects",
                )
            )
        case Cumulative(points=points, max_per_project=per) if per > points:
            issues.append(
                Issue(
                    path=f"{path}.ballot_kind.max_per_project",
                    reason=f"max_per_project {per} exceeds the {points} points a voter has",
                )
            )
        case _:
            pass
    # pabutools' sequential Phragmén is defined for approval profiles only.
    if question.rule == "phragmen" and isinstance(question.ballot_kind, Cumulative):
        issues.append(
            Issue(
                path=f"{path}.rule",
                reason="phragmen needs approval ballots; use greedy or equal_shares "
                "with cumulative ballots",
            )
        )
    return issues


def _duplicates(path: str, ids: list[str], what: str) -> list[Issue]:
    seen: set[str] = set()
    issues: list[Issue] = []
    for index, item in enumerate(ids):
        if item in seen:
            issues.append(Issue(path=f"{path}[{index}].id", reason=f"duplicate {what} id {item!r}"))
        seen.add(item)
    return issues
