"""The question builder's form fields, turned into a poll draft.

Questions are numbered blocks ``questions-<n>-<field>``; ids are given by position (``q1``,
``q2`` …, options ``o1`` …) so an official never types one. Projects come from a text area or
an uploaded CSV, one project a line: ``title;cost;district;description``. A ``.pb`` file goes
to the domain's pabulib import instead.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import msgspec

from services.polls.polls.domain import DEFAULT_ANONYMITY_BATCH
from services.polls.polls.store import PollRecord
from shared.eligibility import Eligibility
from shared.tally.definition import (
    Approval,
    BallotKind,
    CostLimitedApproval,
    Cumulative,
    FreeText,
    MultipleChoice,
    Option,
    Project,
    ProjectVote,
    Question,
    Ranking,
    Rule,
    Scale,
    ShowIf,
    SingleChoice,
)

__all__ = (
    "BUILDER_MESSAGES",
    "BuilderError",
    "ParsedPoll",
    "form_blocks",
    "form_of_poll",
    "parse_builder",
    "parse_projects",
    "parse_roll",
    "parse_territory",
)

Form = Mapping[str, Sequence[str]]
_BLOCK = re.compile(r"^questions-(\d+)-kind$")
_OKTMO_PREFIX = re.compile(r"^[0-9]{2,11}$")
_PSEUDONYM = re.compile(r"^[0-9a-f]{16,128}$")
"""A platform pseudonym: the hex HMAC of an ESIA subject id (shared.identity.pseudonym)."""
_ROLL_SEPARATORS = re.compile(r"[\s,;]+")
_ROLL_HEADERS = frozenset({"sub", "pseudonym", "id", "subject"})

BAD_TERRITORY = "Territory: give OKTMO codes or prefixes of 2 to 11 digits."
BAD_ROLL = (
    "Voter roll: the file holds entries that are not pseudonymous ids (16 to 128 hexadecimal "
    "characters, one a line or separated by commas)."
)
EMPTY_ROLL = "Voter roll: the file holds no pseudonymous ids."
BUILDER_MESSAGES = frozenset({BAD_TERRITORY, BAD_ROLL, EMPTY_ROLL})
"""Problems of the builder form the pages translate (the catalogue test checks them)."""
_RULES: tuple[Rule, ...] = ("greedy", "equal_shares", "phragmen")


class BuilderError(ValueError):
    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class ParsedPoll:
    organisation: str
    title: str
    description: str
    kind: str
    questions: tuple[Question, ...]
    eligibility: Eligibility
    opens_at: dt.datetime
    closes_at: dt.datetime
    show_intermediate_results: bool
    anonymity_batch: int
    """k: ballots enter the public log in shuffled batches of at least k (the domain refuses
    fewer than its minimum with a 422 the pages show in their language)."""


def _one(form: Form, key: str, default: str = "") -> str:
    values = form.get(key, ())
    return values[0].strip() if values else default


def _int(form: Form, key: str, default: int, problems: list[str], label: str) -> int:
    raw = _one(form, key)
    if not raw:
        return default
    try:
        return int(raw.replace(" ", "").replace("\u202f", ""))
    except ValueError:
        problems.append(f"{label}: {raw!r} is not a whole number")
        return default


def _moment(raw: str, label: str, problems: list[str]) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        problems.append(f"{label}: give a date and time")
        return dt.datetime.now(dt.UTC)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _options(text: str) -> tuple[Option, ...]:
    labels = [line.strip() for line in text.splitlines() if line.strip()]
    return tuple(Option(id=f"o{i}", label=label) for i, label in enumerate(labels, 1))


def parse_projects(text: str) -> tuple[Project, ...]:
    """Projects from CSV text (``;`` or ``,`` separated): title, cost, district, description.
    A first line starting with ``title`` is a header and skipped."""
    sample = text[:2000]
    delimiter = ";" if sample.count(";") >= sample.count(",") else ","
    projects: list[Project] = []
    problems: list[str] = []
    for number, row in enumerate(csv.reader(io.StringIO(text), delimiter=delimiter), 1):
        cells = [c.strip() for c in row]
        if not any(cells) or (number == 1 and cells[0].lower() in ("title", "название")):
            continue
        if len(cells) < 2:
            problems.append(f"project line {number}: give at least a title and a cost")
            continue
        try:
            cost = int(cells[1].replace(" ", "").replace("\u202f", ""))
        except ValueError:
            problems.append(f"project line {number}: cost {cells[1]!r} is not a whole number")
            continue
        try:
            projects.append(
                msgspec.convert(
                    {
                        "id": f"p{len(projects) + 1}",
                        "title": cells[0],
                        "cost": cost,
                        "district": cells[2] if len(cells) > 2 and cells[2] else None,
                        "description": cells[3] if len(cells) > 3 else "",
                    },
                    Project,
                )
            )
        except msgspec.ValidationError as exc:
            problems.append(f"project line {number}: {exc}")
    if problems:
        raise BuilderError(problems)
    return tuple(projects)


def _show_if(form: Form, prefix: str, built: list[Question], problems: list[str]) -> ShowIf | None:
    target = _one(form, f"{prefix}-show_if_question")
    option = _one(form, f"{prefix}-show_if_option")
    if not target:
        return None
    if not target.isdigit() or not 1 <= int(target) <= len(built):
        problems.append(f"{prefix}: the condition must name an earlier question by its number")
        return None
    earlier = built[int(target) - 1]
    if isinstance(earlier, SingleChoice):
        return ShowIf(question=earlier.id, op="equals", option=f"o{option or '1'}")
    return ShowIf(question=earlier.id, op="includes", option=f"o{option or '1'}")


def _question(
    form: Form, prefix: str, number: int, built: list[Question], problems: list[str]
) -> Question | None:
    kind = _one(form, f"{prefix}-kind")
    text = _one(form, f"{prefix}-text")
    if not text:
        problems.append(f"question {number}: write the question")
        return None
    qid = f"q{number}"
    required = _one(form, f"{prefix}-required") == "on"
    show_if = _show_if(form, prefix, built, problems)
    options = _options(_one(form, f"{prefix}-options"))
    try:
        match kind:
            case "single_choice":
                return SingleChoice(
                    id=qid, text=text, required=required, show_if=show_if, options=options
                )
            case "multiple_choice":
                high = _int(form, f"{prefix}-max", 0, problems, f"question {number}")
                return MultipleChoice(
                    id=qid,
                    text=text,
                    required=required,
                    show_if=show_if,
                    options=options,
                    max_choices=high or None,
                )
            case "ranking":
                return Ranking(
                    id=qid, text=text, required=required, show_if=show_if, options=options
                )
            case "scale":
                low = _int(form, f"{prefix}-min", 1, problems, f"question {number}")
                high = _int(form, f"{prefix}-max", 5, problems, f"question {number}")
                return Scale(
                    id=qid, text=text, required=required, show_if=show_if, min=low, max=high
                )
            case "free_text":
                return FreeText(id=qid, text=text, required=required, show_if=show_if)
    except (TypeError, ValueError) as exc:
        problems.append(f"question {number}: {exc}")
        return None
    problems.append(f"question {number}: choose a kind of question")
    return None


def _ballot_kind(form: Form, count: int, problems: list[str]) -> BallotKind:
    kind = _one(form, "ballot_kind", "approval")
    if kind == "cost_limited_approval":
        return CostLimitedApproval()
    if kind == "cumulative":
        points = _int(form, "points", 10, problems, "points")
        return Cumulative(
            points=points,
            max_per_project=_int(form, "max_per_project", points, problems, "points per project"),
        )
    return Approval(
        max_approvals=_int(
            form, "max_approvals", min(3, max(count, 1)), problems, "projects per ballot"
        )
    )


def parse_territory(form: Form, problems: list[str]) -> tuple[str, ...]:
    """The OKTMO codes ticked and typed, in order, once each (empty: the whole territory of
    the organisation; the domain refuses any outside it)."""
    typed = _ROLL_SEPARATORS.split(_one(form, "territory_other"))
    codes = [c.strip() for c in [*form.get("territory", ()), *typed] if c.strip()]
    if any(not _OKTMO_PREFIX.match(c) for c in codes):
        problems.append(BAD_TERRITORY)
        return ()
    return tuple(dict.fromkeys(codes))


def parse_roll(text: str) -> tuple[str, ...]:
    """A closed voter roll from an uploaded text or CSV file: pseudonymous ids separated by
    new lines, commas, semicolons or spaces; a header word first is allowed. Raises
    :class:`BuilderError` if anything else is in it, or nothing."""
    tokens = [t.strip().strip('"').lower() for t in _ROLL_SEPARATORS.split(text) if t.strip()]
    if tokens and tokens[0] in _ROLL_HEADERS:
        tokens = tokens[1:]
    if any(not _PSEUDONYM.match(t) for t in tokens):
        raise BuilderError([BAD_ROLL])
    if not tokens:
        raise BuilderError([EMPTY_ROLL])
    return tuple(dict.fromkeys(tokens))


def parse_builder(form: Form, projects_csv: str = "", roll_text: str = "") -> ParsedPoll:
    """The draft described by the builder form; raises :class:`BuilderError` listing every
    problem found in the form itself (the domain checks the poll rules after)."""
    problems: list[str] = []
    kind = _one(form, "kind", "survey")
    questions: list[Question] = []
    blocks = sorted(int(m.group(1)) for key in form if (m := _BLOCK.match(key)))
    for index in blocks:
        built = _question(form, f"questions-{index}", len(questions) + 1, questions, problems)
        if built is not None:
            questions.append(built)
    if kind == "project_vote":
        projects: tuple[Project, ...] = ()
        try:
            projects = parse_projects(projects_csv or _one(form, "projects"))
        except BuilderError as exc:
            problems.extend(exc.problems)
        rule = _one(form, "rule", "greedy")
        questions.append(
            ProjectVote(
                id="pb",
                text=_one(form, "project_question") or "Projects",
                projects=projects or (Project(id="p1", title="?", cost=1),),
                budget=_int(form, "budget", 1, problems, "budget"),
                ballot_kind=_ballot_kind(form, len(projects), problems),
                rule=next((r for r in _RULES if r == rule), "greedy"),
            )
        )
        if not projects:
            problems.append("add at least one project")
    elif not questions:
        problems.append("add at least one question")
    title = _one(form, "title")
    if not title:
        problems.append("give the poll a title")
    opens_at = _moment(_one(form, "opens_at"), "opening time", problems)
    closes_at = _moment(_one(form, "closes_at"), "closing time", problems)
    roll: tuple[str, ...] | None = None
    if roll_text:
        try:
            roll = parse_roll(roll_text)
        except BuilderError as exc:
            problems.extend(exc.problems)
    eligibility = Eligibility(
        territory=parse_territory(form, problems),
        min_age=_int(form, "min_age", 18, problems, "minimum age"),
        confirmed_only=_one(form, "confirmed_only") == "on",
        roll=roll,
    )
    anonymity_batch = _int(
        form, "anonymity_batch", DEFAULT_ANONYMITY_BATCH, problems, "anonymity batch"
    )
    if problems:
        raise BuilderError(problems)
    return ParsedPoll(
        organisation=_one(form, "organisation"),
        title=title,
        description=_one(form, "description"),
        kind=kind,
        questions=tuple(questions),
        eligibility=eligibility,
        opens_at=opens_at,
        closes_at=closes_at,
        show_intermediate_results=_one(form, "show_intermediate_results") == "on",
        anonymity_batch=anonymity_batch,
    )


def form_blocks(form: Form) -> list[int]:
    """The numbers of the question blocks present in ``form`` (one empty block if none)."""
    return sorted(int(m.group(1)) for key in form if (m := _BLOCK.match(key))) or [0]


def _local(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")


def _question_fields(
    index: int, question: Question, earlier: list[Question]
) -> dict[str, list[str]]:
    prefix = f"questions-{index}-"
    fields: dict[str, list[str]] = {
        prefix + "kind": [question.__struct_config__.tag],  # type: ignore[list-item]
        prefix + "text": [question.text],
    }
    if question.required:
        fields[prefix + "required"] = ["on"]
    options = getattr(question, "options", ())
    if options:
        fields[prefix + "options"] = ["\n".join(o.label for o in options)]
    if isinstance(question, Scale):
        fields[prefix + "min"] = [str(question.min)]
        fields[prefix + "max"] = [str(question.max)]
    if isinstance(question, MultipleChoice) and question.max_choices:
        fields[prefix + "max"] = [str(question.max_choices)]
    if question.show_if is not None:
        ids = [q.id for q in earlier]
        if question.show_if.question in ids:
            target = earlier[ids.index(question.show_if.question)]
            option_ids = [o.id for o in getattr(target, "options", ())]
            fields[prefix + "show_if_question"] = [str(ids.index(target.id) + 1)]
            if question.show_if.option in option_ids:
                fields[prefix + "show_if_option"] = [
                    str(option_ids.index(question.show_if.option) + 1)
                ]
    return fields


def form_of_poll(poll: PollRecord) -> dict[str, list[str]]:
    """The builder's fields describing ``poll``, so an official edits it in the same form."""
    form: dict[str, list[str]] = {
        "organisation": [poll.organisation],
        "title": [poll.title],
        "description": [poll.description],
        "kind": [poll.kind],
        "opens_at": [_local(poll.opens_at)],
        "closes_at": [_local(poll.closes_at)],
        "min_age": [str(poll.eligibility.min_age)],
        "anonymity_batch": [str(poll.anonymity_batch)],
        "territory": list(poll.eligibility.territory),
    }
    if poll.eligibility.confirmed_only:
        form["confirmed_only"] = ["on"]
    if poll.show_intermediate_results:
        form["show_intermediate_results"] = ["on"]
    earlier: list[Question] = []
    for question in poll.definition.questions:
        if isinstance(question, ProjectVote):
            form["project_question"] = [question.text]
            form["budget"] = [str(question.budget)]
            form["rule"] = [question.rule]
            kind = question.ballot_kind
            form["ballot_kind"] = [kind.__struct_config__.tag]  # type: ignore[list-item]
            if isinstance(kind, Approval):
                form["max_approvals"] = [str(kind.max_approvals)]
            if isinstance(kind, Cumulative):
                form["points"] = [str(kind.points)]
                form["max_per_project"] = [str(kind.max_per_project)]
            lines = io.StringIO()
            writer = csv.writer(lines, delimiter=";", lineterminator="\n")
            for p in question.projects:
                writer.writerow((p.title, p.cost, p.district or "", p.description))
            form["projects"] = [lines.getvalue().strip()]
            continue
        form.update(_question_fields(len(earlier), question, earlier))
        earlier.append(question)
    return form
