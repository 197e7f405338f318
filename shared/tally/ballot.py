"""The ballot entry: one citizen's answers to one poll, as it goes into the ballot log.

An entry is ``{"v": 1, "poll": ..., "nonce": ..., "answers": {...}}``, in that field order. The
nonce (128 random bits, lowercase hex) makes every entry unique and lets a voter find their own
ballot on the board; nothing else in the entry identifies anybody.

Answers map a question id to a plain JSON value whose shape follows the question's kind, so a
client writes them the way it would anyway::

    {"q1": "yes", "q2": ["a", "c"], "q3": ["c", "a", "b"], "q4": 4, "q5": "More benches",
     "pb": ["p1", "p4"]}                      # a cumulative project vote: {"p1": 3, "p4": 2}

The bytes of an entry are hashed into the log, so there is exactly one byte string per entry:
:func:`make_entry` puts answers in their normal form (unordered choices and approvals sorted;
a ranking keeps its order) and :func:`encode_entry` goes through the one canonical encoder,
which sorts object keys. :func:`decode_entry` refuses any bytes that would not re-encode
identically.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from typing import Annotated, Literal, TypeAlias

import msgspec
from msgspec import Meta

from shared.canonical import canonical_bytes
from shared.tally.definition import (
    Approval,
    CostLimitedApproval,
    Cumulative,
    FreeText,
    Id,
    Issue,
    MultipleChoice,
    PollDefinition,
    ProjectVote,
    Question,
    Ranking,
    Scale,
    ShowIf,
    SingleChoice,
    TallyStruct,
)

__all__ = (
    "Answer",
    "Answers",
    "BallotEntry",
    "BallotError",
    "EntryError",
    "Nonce",
    "decode_entry",
    "encode_entry",
    "make_entry",
    "new_nonce",
    "normalise_answers",
    "validate_answers",
    "validate_entry",
    "visible_questions",
)

Nonce = Annotated[str, Meta(pattern=r"^[0-9a-f]{32}$")]
# Decode-level bounds only keep hostile input small; the per-question rules are checked by
# validate_answers, where each failure can name its question.
Answer: TypeAlias = (
    Annotated[str, Meta(max_length=2000)]
    | Annotated[int, Meta(ge=-(2**31), le=2**31)]
    | Annotated[tuple[Id, ...], Meta(max_length=1000)]
    | Annotated[dict[Id, Annotated[int, Meta(ge=-(2**31), le=2**31)]], Meta(max_length=1000)]
)
Answers = Annotated[dict[Id, Answer], Meta(max_length=200)]


class BallotEntry(TallyStruct, frozen=True, kw_only=True):
    """One ballot as stored in the log. Field order is the wire order; append fields only."""

    v: Literal[1]
    poll: Id
    nonce: Nonce
    answers: Answers


class BallotError(ValueError):
    """The answers break the poll's rules; ``issues`` has one (path, reason) per problem.

    Paths look like ``answers.q2`` or ``answers.pb.p4``, ready for a 422 problem document.
    """

    def __init__(self, issues: Sequence[Issue]) -> None:
        self.issues = tuple(issues)
        super().__init__("; ".join(f"{i.path}: {i.reason}" for i in self.issues))


class EntryError(ValueError):
    """Bytes that are not a ballot entry in canonical form."""

    def __init__(self, code: Literal["malformed", "non_canonical"], detail: str) -> None:
        self.code = code
        self.detail = detail
        super().__init__(f"{code}: {detail}")


_decoder = msgspec.json.Decoder(BallotEntry)


def new_nonce() -> str:
    """A fresh 128-bit nonce from the OS CSPRNG, as 32 lowercase hex characters."""
    return secrets.token_hex(16)


def encode_entry(entry: BallotEntry) -> bytes:
    """The canonical bytes of an entry, the ones that are hashed into the log."""
    return canonical_bytes(entry)


def decode_entry(data: bytes) -> BallotEntry:
    """Decode entry bytes strictly; raise :class:`EntryError` unless they are canonical.

    Refused: invalid JSON, unknown or missing fields, wrong types, whitespace, other field or
    key orders, duplicate keys, and any other spelling that does not re-encode to ``data``.
    """
    try:
        entry = _decoder.decode(data)
    except msgspec.DecodeError as exc:
        raise EntryError("malformed", str(exc)) from exc
    # The canonical encoding sorts dict keys, so this also refuses unsorted or duplicate keys.
    if encode_entry(entry) != data:
        raise EntryError("non_canonical", "re-encoding gives different bytes")
    return entry


def make_entry(
    definition: PollDefinition, answers: Mapping[str, object], *, nonce: str | None = None
) -> BallotEntry:
    """Validate ``answers`` and build the entry in normal form with a fresh nonce.

    Raises :class:`BallotError` if the answers break the poll's rules.
    """
    validate_answers(definition, answers)
    return BallotEntry(
        v=1,
        poll=definition.id,
        nonce=new_nonce() if nonce is None else nonce,
        answers=normalise_answers(definition, answers),
    )


def validate_entry(definition: PollDefinition, entry: BallotEntry) -> None:
    """Check a decoded entry against its poll: poll id, answers, and normal form."""
    if entry.poll != definition.id:
        raise BallotError(
            [Issue(path="poll", reason=f"entry is for poll {entry.poll!r}, not {definition.id!r}")]
        )
    validate_answers(definition, entry.answers)
    # Dict order is the encoder's business; tuple order (choices) is what must be normal.
    if normalise_answers(definition, entry.answers) != entry.answers:
        raise BallotError(
            [Issue(path="answers", reason="answers are not in normal form (sorted choices)")]
        )


def visible_questions(definition: PollDefinition, answers: Mapping[str, object]) -> list[Question]:
    """The questions shown to a voter who gave ``answers``, in order."""
    shown: list[Question] = []
    shown_answers: dict[str, object] = {}
    for question in definition.questions:
        if question.show_if is None or _condition_holds(question.show_if, shown_answers):
            shown.append(question)
            if question.id in answers:
                shown_answers[question.id] = answers[question.id]
    return shown


def validate_answers(definition: PollDefinition, answers: Mapping[str, object]) -> None:
    """Raise :class:`BallotError` listing every way ``answers`` break the poll's rules.

    Hidden questions (their condition does not hold) must be unanswered; visible required ones
    must be answered; every answer must fit its question.
    """
    issues: list[Issue] = []
    known = {q.id for q in definition.questions}
    issues.extend(
        Issue(path=f"answers.{key}", reason="no such question in this poll")
        for key in answers
        if key not in known
    )
    visible = {q.id for q in visible_questions(definition, answers)}
    for question in definition.questions:
        path = f"answers.{question.id}"
        answered = question.id in answers
        if question.id not in visible:
            if answered:
                issues.append(Issue(path=path, reason=_hidden_reason(question)))
        elif not answered:
            if question.required:
                issues.append(Issue(path=path, reason="this question must be answered"))
        else:
            issues.extend(_check_answer(path, question, answers[question.id]))
    if issues:
        raise BallotError(issues)


def normalise_answers(
    definition: PollDefinition, answers: Mapping[str, object]
) -> dict[str, Answer]:
    """The one normal form of valid answers: ids sorted wherever order carries no meaning.

    A ranking keeps its order (it is the answer); choices, approvals and points do not.
    """
    kinds = {q.id: q for q in definition.questions}
    normal: dict[str, Answer] = {}
    for key in sorted(answers):
        value = answers[key]
        question = kinds.get(key)
        match value:
            case str() | int():
                normal[key] = value
            case Mapping():
                normal[key] = {str(k): _as_int(value[k]) for k in sorted(value)}
            case Sequence():
                items = tuple(str(item) for item in value)
                ordered = isinstance(question, Ranking)
                normal[key] = items if ordered else tuple(sorted(items))
            case _:
                raise TypeError(f"unsupported answer type {type(value).__name__} for {key!r}")
    return normal


def _as_int(value: object) -> int:
    if isinstance(value, int):
        return value
    raise TypeError(f"points must be integers, got {type(value).__name__}")


def _condition_holds(show_if: ShowIf, shown_answers: Mapping[str, object]) -> bool:
    answer = shown_answers.get(show_if.question)
    if show_if.op == "equals":
        return isinstance(answer, str) and answer == show_if.option
    return isinstance(answer, list | tuple) and show_if.option in answer


def _hidden_reason(question: Question) -> str:
    assert question.show_if is not None  # only conditional questions can be hidden
    condition = question.show_if
    return (
        f"this question is shown only if {condition.question!r} {condition.op} "
        f"{condition.option!r}; leave it unanswered"
    )


def _check_answer(path: str, question: Question, answer: object) -> list[Issue]:
    match question:
        case SingleChoice(options=options):
            ids = {o.id for o in options}
            if not isinstance(answer, str) or answer not in ids:
                return [Issue(path=path, reason=f"expected one of {sorted(ids)}")]
            return []
        case MultipleChoice(options=options, min_choices=low, max_choices=high):
            top = len(options) if high is None else high
            issues = _check_ids(path, answer, [o.id for o in options], "option")
            if not issues and not low <= len(_ids(answer)) <= top:
                issues.append(Issue(path=path, reason=f"choose between {low} and {top} options"))
            return issues
        case Ranking(options=options, top=top):
            wanted = len(options) if top is None else top
            issues = _check_ids(path, answer, [o.id for o in options], "option")
            if not issues and len(_ids(answer)) != wanted:
                issues.append(Issue(path=path, reason=f"rank exactly {wanted} options, best first"))
            return issues
        case Scale(min=low, max=high):
            if not isinstance(answer, int) or isinstance(answer, bool) or not low <= answer <= high:
                return [Issue(path=path, reason=f"expected a whole number from {low} to {high}")]
            return []
        case FreeText(max_length=limit):
            if not isinstance(answer, str) or not answer.strip() or len(answer) > limit:
                return [Issue(path=path, reason=f"expected text of 1 to {limit} characters")]
            return []
        case ProjectVote():
            return _check_project_vote(path, question, answer)
    raise AssertionError(f"unhandled question kind {question!r}")  # pragma: no cover


def _ids(answer: object) -> list[str]:
    assert isinstance(answer, list | tuple)
    return [str(item) for item in answer]


def _check_ids(path: str, answer: object, allowed: list[str], what: str) -> list[Issue]:
    if not isinstance(answer, list | tuple) or not all(isinstance(i, str) for i in answer):
        return [Issue(path=path, reason=f"expected a list of {what} ids")]
    ids = _ids(answer)
    known = set(allowed)
    issues = [
        Issue(path=f"{path}.{item}", reason=f"no such {what}") for item in ids if item not in known
    ]
    if len(set(ids)) != len(ids):
        issues.append(Issue(path=path, reason=f"each {what} may appear only once"))
    return issues


def _check_project_vote(path: str, question: ProjectVote, answer: object) -> list[Issue]:
    costs = {p.id: p.cost for p in question.projects}
    match question.ballot_kind:
        case Approval(max_approvals=k):
            issues = _check_ids(path, answer, list(costs), "project")
            if not issues and not 1 <= len(_ids(answer)) <= k:
                issues.append(Issue(path=path, reason=f"approve between 1 and {k} projects"))
            return issues
        case CostLimitedApproval():
            issues = _check_ids(path, answer, list(costs), "project")
            if issues:
                return issues
            chosen = _ids(answer)
            total = sum(costs[p] for p in chosen)
            if not chosen:
                issues.append(Issue(path=path, reason="approve at least one project"))
            elif total > question.budget:
                issues.append(
                    Issue(
                        path=path,
                        reason=f"the chosen projects cost {total}, more than the budget "
                        f"{question.budget}",
                    )
                )
            return issues
        case Cumulative(points=points, max_per_project=per):
            return _check_points(path, answer, costs, points, per)
    raise AssertionError(f"unhandled ballot kind {question.ballot_kind!r}")  # pragma: no cover


def _check_points(
    path: str, answer: object, costs: Mapping[str, int], points: int, per: int
) -> list[Issue]:
    if not isinstance(answer, Mapping) or not all(isinstance(k, str) for k in answer):
        return [Issue(path=path, reason="expected an object mapping project ids to points")]
    issues: list[Issue] = []
    for project, given in answer.items():
        if project not in costs:
            issues.append(Issue(path=f"{path}.{project}", reason="no such project"))
        elif not isinstance(given, int) or isinstance(given, bool) or not 1 <= given <= per:
            issues.append(
                Issue(path=f"{path}.{project}", reason=f"give between 1 and {per} points")
            )
    if issues:
        return issues
    total = sum(answer.values())
    if not answer:
        issues.append(Issue(path=path, reason="give points to at least one project"))
    elif total > points:
        issues.append(Issue(path=path, reason=f"{total} points given, at most {points} allowed"))
    return issues
