"""Which projects a project vote funds, computed with pabutools, and why.

The funded set always comes from pabutools, the participatory-budgeting research community's
reference library; this module only builds its instance and profile, picks the rule's
parameters, and explains the outcome. Choices, stated once:

* **Greedy by votes**: ``greedy_utilitarian_welfare`` with ``Cost_Sat``. A voter's satisfaction
  with a project is its cost, so the rule's "satisfaction per rouble" is exactly the number of
  approvals: projects are taken by votes, highest first, skipping any that no longer fit.
  (``Cardinality_Sat`` would rank by votes per rouble instead, which is not what cities run.)
  For cumulative ballots the satisfaction is points x cost, so projects are taken by points.
* **Method of Equal Shares**: ``method_of_equal_shares`` with ``Cost_Sat`` for approval ballots
  (the equalshares.net default, "cost utilities") and ``Additive_Cardinal_Sat`` (points) for
  cumulative ballots, **completed by greedy by votes** on the budget MES leaves unspent; this
  is exactly ``completion_by_rule_combination([method_of_equal_shares,
  greedy_utilitarian_welfare])`` with the satisfactions above, run in two steps so we know which
  projects MES funded and which the completion did. (The "add one" budget-increase completion
  is not used: it reruns MES many times, too slow for city-sized boards.)
* **Sequential Phragmén**: ``sequential_phragmen``, approval ballots only (the definition refuses
  Phragmén with cumulative ballots). It stops at the first project that no longer fits, and is
  not completed.
* **Ties** are broken by ``lexico_tie_breaking``: the project whose id sorts first (Unicode code
  point order, so ``"10" < "9"``) wins. Deterministic, and the pabutools default.
* **Projects nobody voted for** are left out of the instance and never funded, even when they
  would fit the money left over.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pabutools.election import (
    Additive_Cardinal_Sat,
    AdditiveSatisfaction,
    ApprovalMultiProfile,
    Cost_Sat,
    CumulativeMultiProfile,
    FrozenApprovalBallot,
    FrozenCumulativeBallot,
    Instance,
)
from pabutools.election import Project as PbProject
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares, sequential_phragmen
from pabutools.tiebreaking import lexico_tie_breaking

from shared.tally.count import ProjectBallot
from shared.tally.definition import Cumulative, Id, ProjectVote, Rule, TallyStruct

__all__ = (
    "Allocation",
    "NotFundedReason",
    "ProjectOutcome",
    "allocate",
    "pabutools_election",
    "rule_parameters",
)

NotFundedReason = Literal[
    "no_votes", "over_remaining_budget", "equal_shares_ran_out", "rule_stopped"
]
"""Why a project was not funded.

* ``no_votes``: nobody voted for it.
* ``over_remaining_budget``: when its turn came (projects in order of votes, ties by id), it
  cost more than the budget still unspent (``remaining_at_turn``). Greedy; and for Phragmén,
  it costs more than what was left when the rule stopped.
* ``equal_shares_ran_out``: MES could not fund it because its supporters' equal shares of the
  budget, after paying for the projects they had already bought, did not cover its cost; then
  the completion by votes found it over the remaining budget at its turn.
* ``rule_stopped``: Phragmén stopped (its next project did not fit) before reaching this one,
  although it would have fitted the money left.
"""


class ProjectOutcome(TallyStruct, frozen=True, kw_only=True):
    """A project's result and the reason for it."""

    project: Id
    cost: int
    votes: int
    """Approvals, or points for cumulative ballots."""
    funded: bool
    funded_by: Literal["rule", "completion"] | None
    """``completion`` for projects added by the greedy completion of MES."""
    reason: NotFundedReason | None
    """Why it was not funded; ``None`` if funded."""
    remaining_at_turn: int | None
    """Budget still unspent when the project's turn came (greedy and MES completion), or when
    Phragmén stopped; ``None`` for projects without votes."""


class Allocation(TallyStruct, frozen=True, kw_only=True):
    """The outcome of a project vote under its allocation rule."""

    rule: Rule
    completion: Literal["greedy_by_votes"] | None
    tie_breaking: Literal["lowest_project_id"]
    budget: int
    spent: int
    remaining: int
    funded: tuple[Id, ...]
    """Funded projects in the order the rule picked them (Phragmén: ordered by id, since
    pabutools returns its outcome sorted); MES completion picks come after MES's own."""
    projects: tuple[ProjectOutcome, ...]
    """Every project, in the definition's order."""


def rule_parameters(question: ProjectVote) -> dict[str, Any]:
    """The satisfaction measure Vmeste passes to pabutools for this question's rule."""
    cumulative = isinstance(question.ballot_kind, Cumulative)
    if question.rule == "equal_shares":
        return {"sat_class": Additive_Cardinal_Sat if cumulative else Cost_Sat}
    if question.rule == "greedy":
        return _greedy_parameters(question)
    return {}


def _greedy_parameters(question: ProjectVote) -> dict[str, Any]:
    cumulative = isinstance(question.ballot_kind, Cumulative)
    return {"sat_class": _PointsTimesCostSat if cumulative else Cost_Sat}


class _PointsTimesCostSat(AdditiveSatisfaction):  # type: ignore[misc]
    """Satisfaction = points x cost, so greedy's satisfaction per rouble is the points."""

    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        AdditiveSatisfaction.__init__(self, instance, profile, ballot, _points_times_cost)


def _points_times_cost(
    instance: Any, profile: Any, ballot: Any, project: Any, precomputed: Any
) -> Any:
    return ballot.get(project, 0) * project.cost


def pabutools_election(
    question: ProjectVote, ballots: Mapping[ProjectBallot, int]
) -> tuple[Any, Any]:
    """The pabutools ``(Instance, multiprofile)`` the rules run on.

    The instance holds only the projects with at least one vote. The profile is a multiprofile
    (each distinct ballot once, with its multiplicity), which keeps millions of ballots
    tractable and gives the same outcomes as one ballot per voter.
    """
    supported = {project for ballot in ballots for project, _ in ballot}
    projects = {p.id: PbProject(p.id, p.cost) for p in question.projects if p.id in supported}
    instance = Instance(projects.values(), budget_limit=question.budget)
    profile: Any
    if isinstance(question.ballot_kind, Cumulative):
        profile = CumulativeMultiProfile(instance=instance)
        for ballot, n in ballots.items():
            profile[FrozenCumulativeBallot({projects[p]: pts for p, pts in ballot})] = n
    else:
        profile = ApprovalMultiProfile(instance=instance)
        for ballot, n in ballots.items():
            profile[FrozenApprovalBallot(tuple(projects[p] for p, _ in ballot))] = n
    return instance, profile


def allocate(question: ProjectVote, ballots: Mapping[ProjectBallot, int]) -> Allocation:
    """Run the question's allocation rule with pabutools on the counted ballots and explain it.

    ``ballots`` maps each distinct answer (see :func:`shared.tally.count.project_ballot`) to the
    number of ballots that gave it.
    """
    votes: dict[str, int] = {p.id: 0 for p in question.projects}
    for ballot, n in ballots.items():
        for project, points in ballot:
            votes[project] += points * n
    instance, profile = pabutools_election(question, ballots)
    costs = {p.id: p.cost for p in question.projects}
    # Greedy's order of turns: votes, highest first, ties to the lowest id (lexico_tie_breaking).
    order = sorted((p for p in votes if votes[p] > 0), key=lambda p: (-votes[p], p))

    completion: Literal["greedy_by_votes"] | None = None
    by_rule: list[str]
    by_completion: list[str] = []
    turns: dict[str, int] = {}
    if question.rule == "greedy":
        by_rule = _names(
            greedy_utilitarian_welfare(
                instance, profile, tie_breaking=lexico_tie_breaking, **rule_parameters(question)
            )
        )
        turns = _walk(order, set(by_rule), costs, question.budget)
    elif question.rule == "equal_shares":
        completion = "greedy_by_votes"
        mes = method_of_equal_shares(
            instance, profile, tie_breaking=lexico_tie_breaking, **rule_parameters(question)
        )
        by_rule = _names(mes)
        outcome = mes
        # As completion_by_rule_combination: complete only a non-exhaustive outcome.
        if not instance.is_exhaustive(mes):
            outcome = greedy_utilitarian_welfare(
                instance,
                profile,
                tie_breaking=lexico_tie_breaking,
                initial_budget_allocation=mes,
                **_greedy_parameters(question),
            )
        by_completion = _names(outcome)[len(by_rule) :]
        start = question.budget - sum(costs[p] for p in by_rule)
        rest = [p for p in order if p not in set(by_rule)]
        turns = _walk(rest, set(by_completion), costs, start)
    else:
        by_rule = _names(sequential_phragmen(instance, profile, tie_breaking=lexico_tie_breaking))

    funded = by_rule + by_completion
    spent = sum(costs[p] for p in funded)
    remaining = question.budget - spent
    outcomes = tuple(
        _explain(p.id, p.cost, votes[p.id], question.rule, by_rule, by_completion, turns, remaining)
        for p in question.projects
    )
    return Allocation(
        rule=question.rule,
        completion=completion,
        tie_breaking="lowest_project_id",
        budget=question.budget,
        spent=spent,
        remaining=remaining,
        funded=tuple(funded),
        projects=outcomes,
    )


def _names(allocation: Any) -> list[str]:
    return [str(project.name) for project in allocation]


def _walk(
    order: list[str], chosen: set[str], costs: Mapping[str, int], budget: int
) -> dict[str, int]:
    """The budget left when each project's turn came, replaying greedy over pabutools' choice.

    Used only to explain: a project pabutools funded that did not fit here would mean the
    explanation misdescribes the rule, so that is an error, never a silent mismatch.
    """
    remaining = budget
    turns: dict[str, int] = {}
    for project in order:
        turns[project] = remaining
        fits = costs[project] <= remaining
        if project in chosen:
            if not fits:
                raise AssertionError(f"explanation out of step with pabutools at {project!r}")
            remaining -= costs[project]
        elif fits:
            raise AssertionError(f"greedy skipped {project!r} although it fitted")
    return turns


def _explain(
    project: str,
    cost: int,
    votes: int,
    rule: Rule,
    by_rule: list[str],
    by_completion: list[str],
    turns: Mapping[str, int],
    remaining: int,
) -> ProjectOutcome:
    if project in by_rule or project in by_completion:
        return ProjectOutcome(
            project=project,
            cost=cost,
            votes=votes,
            funded=True,
            funded_by="rule" if project in by_rule else "completion",
            reason=None,
            remaining_at_turn=turns.get(project),
        )
    reason: NotFundedReason
    at_turn: int | None = turns.get(project, remaining)
    if votes == 0:
        reason, at_turn = "no_votes", None
    elif rule == "greedy":
        reason = "over_remaining_budget"
    elif rule == "equal_shares":
        reason = "equal_shares_ran_out"
    else:
        reason = "over_remaining_budget" if cost > remaining else "rule_stopped"
    return ProjectOutcome(
        project=project,
        cost=cost,
        votes=votes,
        funded=False,
        funded_by=None,
        reason=reason,
        remaining_at_turn=at_turn,
    )
