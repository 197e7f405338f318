"""Project votes in and out of the pabulib ``.pb`` format (https://pabulib.org).

Parsing and writing go through pabutools (``parse_pabulib_from_string`` and
``election_as_pabulib_string``); this module maps between their instance/profile and a Vmeste
poll. What maps to what:

* META ``budget`` <-> the budget; ``description`` <-> the poll title; ``rule`` <-> the
  allocation rule (``greedy``, ``equalshares``/``equalshares/add1`` -> ``equal_shares``,
  ``phragmen``; anything else is a hint we cannot honour, so imports fall back to ``greedy``
  unless a rule is given).
* ``vote_type`` ``approval`` with ``max_sum_cost`` -> cost-limited approval; with
  ``max_length`` -> approval up to k; ``choose-1`` -> approval of 1; ``cumulative`` with
  ``max_sum_points`` (and ``max_points``) -> cumulative. ``scoring`` and ``ordinal`` files have
  no Vmeste ballot kind and are refused.
* PROJECTS ``project_id``, ``cost``, ``name`` (title), ``description``, ``district``.
* VOTES: one row per ballot entry, ``voter_id`` 1..n in board order; no voter data.

pabutools writes cells without CSV quoting, so ``;`` and line breaks in titles and
descriptions are replaced by ``,`` and spaces on export.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import msgspec
from pabutools.election import (
    ApprovalProfile,
    CumulativeBallot,
    CumulativeProfile,
    FrozenApprovalBallot,
    Instance,
)
from pabutools.election import Project as PbProject
from pabutools.election.pabulib import election_as_pabulib_string, parse_pabulib_from_string

from shared.tally.ballot import Answer, BallotEntry
from shared.tally.count import project_ballot
from shared.tally.definition import (
    Approval,
    BallotKind,
    CostLimitedApproval,
    Cumulative,
    PollDefinition,
    Project,
    ProjectVote,
    Rule,
    validate_definition,
)

__all__ = ("PabulibError", "PabulibPoll", "export_pb", "import_pb")

_RULE_FROM_PB: dict[str, Rule] = {
    "greedy": "greedy",
    "equalshares": "equal_shares",
    "equalshares/add1": "equal_shares",
    "phragmen": "phragmen",
}
_RULE_TO_PB: dict[Rule, str] = {
    "greedy": "greedy",
    "equal_shares": "equalshares",
    "phragmen": "phragmen",
}
QUESTION_ID = "projects"
"""Id of the project-vote question in an imported poll."""


class PabulibError(ValueError):
    """The .pb text cannot become a Vmeste project vote; the message says why."""


class PabulibPoll(msgspec.Struct, frozen=True, kw_only=True):
    """An imported poll and the votes the file carried, as answers to its project vote."""

    definition: PollDefinition
    answers: tuple[dict[str, Answer], ...]


def import_pb(
    text: str, *, poll_id: str, title: str | None = None, rule: Rule | None = None
) -> PabulibPoll:
    """Build a project-vote poll (and its votes as answers) from the text of a .pb file.

    Raises :class:`PabulibError` for a file pabutools cannot parse or Vmeste cannot represent,
    and :class:`shared.tally.definition.DefinitionError` if the result breaks a poll rule.
    """
    try:
        instance, profile = parse_pabulib_from_string(text)
    except (KeyError, ValueError, NotImplementedError) as exc:
        raise PabulibError(f"not a pabulib file pabutools can read: {exc!r}") from exc
    meta: dict[str, str] = dict(instance.meta)
    # project_meta is filled row by row, so it keeps the file's order of projects.
    ordered = [*instance.project_meta, *(p for p in instance if p not in instance.project_meta)]
    projects = tuple(
        _project(project, instance.project_meta.get(project, {})) for project in ordered
    )
    budget = _whole(instance.budget_limit, "budget")
    ballot_kind = _ballot_kind(meta, len(projects), budget)
    question = ProjectVote(
        id=QUESTION_ID,
        text=meta.get("description") or "Projects",
        projects=projects,
        budget=budget,
        ballot_kind=ballot_kind,
        rule=rule or _RULE_FROM_PB.get(meta.get("rule", "").strip().lower(), "greedy"),
    )
    definition = PollDefinition(
        id=poll_id,
        kind="project_vote",
        title=title or meta.get("description") or f"{meta.get('unit', '')} {budget}".strip(),
        questions=(question,),
    )
    validate_definition(definition)
    cumulative = isinstance(ballot_kind, Cumulative)
    answers = tuple({QUESTION_ID: _answer(ballot, cumulative)} for ballot in profile)
    return PabulibPoll(definition=definition, answers=answers)


def export_pb(definition: PollDefinition, entries: Iterable[BallotEntry]) -> str:
    """The .pb text of a project vote and its (validated) ballot entries."""
    question = next((q for q in definition.questions if isinstance(q, ProjectVote)), None)
    if question is None:
        raise PabulibError("only a project vote can be exported to pabulib")
    by_id = {p.id: PbProject(p.id, p.cost) for p in question.projects}
    instance = Instance(by_id.values(), budget_limit=question.budget)
    instance.meta.update(
        {
            "description": _cell(definition.title),
            "country": "Russia",
            "unit": _cell(definition.id),
            "instance": _cell(definition.id),
            "rule": _RULE_TO_PB[question.rule],
        }
    )
    if isinstance(question.ballot_kind, Cumulative):
        # pabutools' cumulative profile does not hand its per-project cap to the writer.
        instance.meta["max_points"] = str(question.ballot_kind.max_per_project)
    for project in question.projects:
        extra = {"name": _cell(project.title)}
        if project.description:
            extra["description"] = _cell(project.description)
        if project.district:
            extra["district"] = _cell(project.district)
        instance.project_meta[by_id[project.id]] = extra
    profile = _profile(question, instance, by_id, entries)
    return str(election_as_pabulib_string(instance, profile))


def _profile(
    question: ProjectVote, instance: Any, by_id: dict[str, Any], entries: Iterable[BallotEntry]
) -> Any:
    kind = question.ballot_kind
    profile: Any
    if isinstance(kind, Cumulative):
        profile = CumulativeProfile(
            instance=instance,
            legal_max_score=kind.max_per_project,
            legal_max_total_score=kind.points,
        )
    else:
        # Frozen (tuple) ballots keep the sorted order, so the VOTES column is deterministic.
        profile = ApprovalProfile(
            instance=instance,
            ballot_validation=False,
            legal_max_length=kind.max_approvals if isinstance(kind, Approval) else None,
            legal_max_cost=question.budget if isinstance(kind, CostLimitedApproval) else None,
        )
    for index, entry in enumerate(entries, start=1):
        pairs = project_ballot(question, entry.answers[question.id])
        if isinstance(kind, Cumulative):
            ballot: Any = CumulativeBallot({by_id[p]: points for p, points in pairs})
        else:
            ballot = FrozenApprovalBallot(tuple(by_id[p] for p, _ in pairs))
        ballot.meta = {"voter_id": str(index)}
        profile.append(ballot)
    return profile


def _cell(text: str) -> str:
    return " ".join(text.replace(";", ",").split())


def _whole(value: Any, what: str) -> int:
    if value != int(value):
        raise PabulibError(f"{what} {float(value):g} is not a whole number")
    return int(value)


def _project(project: Any, meta: dict[str, Any]) -> Project:
    name = str(project.name)
    district = str(meta.get("district") or meta.get("subunit") or "").strip() or None
    return Project(
        id=name,
        title=str(meta.get("name") or name).strip() or name,
        description=str(meta.get("description") or ""),
        cost=_whole(project.cost, f"cost of project {name}"),
        district=district,
    )


def _ballot_kind(meta: dict[str, str], projects: int, budget: int) -> BallotKind:
    vote_type = meta.get("vote_type", "").strip().lower()
    if vote_type == "choose-1":
        return Approval(max_approvals=1)
    if vote_type == "approval":
        max_cost = meta.get("max_sum_cost")
        if max_cost is not None and _number(max_cost, "max_sum_cost") >= budget:
            return CostLimitedApproval()
        if max_cost is not None:
            raise PabulibError(
                f"max_sum_cost {max_cost} is below the budget {budget}; Vmeste's cost-limited "
                "approval is limited by the budget itself"
            )
        max_length = meta.get("max_length")
        limit = projects if max_length is None else int(_number(max_length, "max_length"))
        return Approval(max_approvals=min(limit, projects))
    if vote_type == "cumulative":
        total = meta.get("max_sum_points")
        if total is None:
            raise PabulibError("a cumulative file needs max_sum_points")
        points = int(_number(total, "max_sum_points"))
        per = meta.get("max_points")
        return Cumulative(
            points=points,
            max_per_project=points if per is None else int(_number(per, "max_points")),
        )
    raise PabulibError(f"vote_type {vote_type!r} has no Vmeste ballot kind")


def _number(text: str, what: str) -> float:
    try:
        return float(text.replace(",", "."))
    except ValueError as exc:
        raise PabulibError(f"{what} {text!r} is not a number") from exc


def _answer(ballot: Any, cumulative: bool) -> Answer:
    if cumulative:
        return {str(p.name): _whole(points, "points") for p, points in ballot.items()}
    return tuple(sorted(str(p.name) for p in ballot))
