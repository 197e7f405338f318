from __future__ import annotations

import random
import subprocess
import sys
from typing import Any

import pytest
from pabutools.election import (
    Additive_Cardinal_Sat,
    AdditiveSatisfaction,
    ApprovalBallot,
    ApprovalProfile,
    Cost_Sat,
    CumulativeBallot,
    CumulativeProfile,
    Instance,
    Project,
)
from pabutools.rules import (
    completion_by_rule_combination,
    greedy_utilitarian_welfare,
    method_of_equal_shares,
    sequential_phragmen,
)

from shared.tally.allocation import Allocation, ProjectOutcome
from shared.tally.ballot import make_entry
from shared.tally.definition import PollDefinition
from shared.tally.results import compute_results
from tests.unit.tally._polls import project_vote


def _allocate(poll: PollDefinition, answers: list[Any]) -> Allocation:
    allocation = compute_results(poll, [make_entry(poll, {"pb": a}) for a in answers]).allocation
    assert allocation is not None
    return allocation


def _outcome(allocation: Allocation, project: str) -> ProjectOutcome:
    return next(o for o in allocation.projects if o.project == project)


# The classic illustration of proportionality: a majority of 6 wants three projects, a
# minority of 4 wants one; every project costs 30 and the budget buys three.
CLASSIC_COSTS = {"a1": 30, "a2": 30, "a3": 30, "b1": 30}
CLASSIC_BALLOTS = [["a1", "a2", "a3"]] * 6 + [["b1"]] * 4


def test_greedy_by_votes_gives_the_majority_everything() -> None:
    poll = project_vote(CLASSIC_COSTS, budget=90, rule="greedy")

    allocation = _allocate(poll, CLASSIC_BALLOTS)

    assert allocation.funded == ("a1", "a2", "a3")
    assert (allocation.spent, allocation.remaining) == (90, 0)
    assert _outcome(allocation, "a2") == ProjectOutcome(
        project="a2",
        cost=30,
        votes=6,
        funded=True,
        funded_by="rule",
        reason=None,
        remaining_at_turn=60,
    )
    assert _outcome(allocation, "b1") == ProjectOutcome(
        project="b1",
        cost=30,
        votes=4,
        funded=False,
        funded_by=None,
        reason="over_remaining_budget",
        remaining_at_turn=0,
    )


def test_equal_shares_funds_the_minority_then_completes_by_votes() -> None:
    # Each voter holds 90 / 10 = 9. The majority's 54 buys a1 (5 each, ties to the lowest id)
    # but then has 24 left, less than a2's 30; the minority's 36 buys b1. MES stops at 60
    # spent; the completion by votes adds a2 with the 30 left.
    poll = project_vote(CLASSIC_COSTS, budget=90, rule="equal_shares")

    allocation = _allocate(poll, CLASSIC_BALLOTS)

    assert allocation.funded == ("a1", "b1", "a2")
    assert allocation.completion == "greedy_by_votes"
    assert [(o.project, o.funded_by) for o in allocation.projects if o.funded] == [
        ("a1", "rule"),
        ("a2", "completion"),
        ("b1", "rule"),
    ]
    a3 = _outcome(allocation, "a3")
    assert (a3.reason, a3.remaining_at_turn) == ("equal_shares_ran_out", 0)


def test_phragmen_balances_the_loads() -> None:
    # Loads: a1 at 5 each (30 / 6), then b1 at 7.5 (30 / 4) beats a2 at 10; a2 next at 10;
    # a3 would need 15 and does not fit: stop.
    poll = project_vote(CLASSIC_COSTS, budget=90, rule="phragmen")

    allocation = _allocate(poll, CLASSIC_BALLOTS)

    assert set(allocation.funded) == {"a1", "a2", "b1"}
    assert _outcome(allocation, "a3").reason == "over_remaining_budget"


def test_phragmen_stops_at_the_first_project_that_does_not_fit() -> None:
    # p3 (load 10), p1 (load 20), then p2 (load 25) does not fit the 30 left: Phragmén stops,
    # although p4 (load 28) would have fitted.
    poll = project_vote({"p1": 60, "p2": 50, "p3": 10, "p4": 28}, budget=100, rule="phragmen")
    ballots = [["p1"]] * 3 + [["p2"]] * 2 + [["p3"], ["p4"]]

    allocation = _allocate(poll, ballots)

    assert set(allocation.funded) == {"p1", "p3"}
    assert allocation.remaining == 30
    assert _outcome(allocation, "p2").reason == "over_remaining_budget"
    assert _outcome(allocation, "p4").reason == "rule_stopped"


def test_greedy_skips_a_project_that_no_longer_fits_and_goes_on() -> None:
    poll = project_vote({"p1": 60, "p2": 50, "p3": 10, "p4": 28}, budget=100, rule="greedy")
    ballots = [["p1"]] * 3 + [["p2"]] * 2 + [["p3"], ["p4"]]

    allocation = _allocate(poll, ballots)

    assert allocation.funded == ("p1", "p3", "p4")
    assert (allocation.spent, allocation.remaining) == (98, 2)
    p2 = _outcome(allocation, "p2")
    assert (p2.reason, p2.remaining_at_turn) == ("over_remaining_budget", 40)


@pytest.mark.parametrize("rule", ["greedy", "equal_shares", "phragmen"])
def test_ties_go_to_the_lowest_project_id(rule: str) -> None:
    # Same votes, same cost, room for one: "10" sorts before "9" (code point order).
    poll = project_vote({"9": 60, "10": 60}, budget=100, rule=rule)

    allocation = _allocate(poll, [["9"], ["10"]])

    assert allocation.funded == ("10",)
    assert _outcome(allocation, "9").funded is False


@pytest.mark.parametrize("rule", ["greedy", "equal_shares", "phragmen"])
def test_a_project_nobody_voted_for_is_never_funded(rule: str) -> None:
    poll = project_vote({"p1": 50, "p2": 10}, budget=100, rule=rule)

    allocation = _allocate(poll, [["p1"]] * 3)

    assert allocation.funded == ("p1",)
    assert _outcome(allocation, "p2") == ProjectOutcome(
        project="p2",
        cost=10,
        votes=0,
        funded=False,
        funded_by=None,
        reason="no_votes",
        remaining_at_turn=None,
    )


@pytest.mark.parametrize("rule", ["greedy", "equal_shares", "phragmen"])
def test_no_ballots_fund_nothing(rule: str) -> None:
    poll = project_vote({"p1": 50}, budget=100, rule=rule)

    allocation = _allocate(poll, [])

    assert allocation.funded == ()
    assert allocation.remaining == 100
    assert _outcome(allocation, "p1").reason == "no_votes"


def test_equal_shares_needs_no_completion_when_its_outcome_is_exhaustive() -> None:
    poll = project_vote({"p1": 50, "p2": 50}, budget=100, rule="equal_shares")

    allocation = _allocate(poll, [["p1"], ["p2"]])

    assert allocation.funded == ("p1", "p2")
    assert all(o.funded_by == "rule" for o in allocation.projects)


def test_greedy_with_cumulative_ballots_goes_by_points() -> None:
    kind = {"kind": "cumulative", "points": 10, "max_per_project": 10}
    poll = project_vote({"p1": 60, "p2": 50, "p3": 40}, budget=100, ballot_kind=kind)
    # Points: p1 10, p2 12, p3 9; approvals (supporters) would rank p1 first.
    ballots = [{"p1": 5, "p3": 5}, {"p1": 5, "p3": 4}, {"p2": 10}, {"p2": 2}]

    allocation = _allocate(poll, ballots)

    assert allocation.funded == ("p2", "p3")
    assert [o.votes for o in allocation.projects] == [10, 12, 9]


# Cross-checks: the same profile, built independently and given to pabutools directly.


class _PointsTimesCost(AdditiveSatisfaction):  # type: ignore[misc]
    def __init__(self, instance: Any, profile: Any, ballot: Any) -> None:
        super().__init__(
            instance, profile, ballot, lambda i, p, b, proj, pre: b.get(proj, 0) * proj.cost
        )


def _random_election(seed: int, cumulative: bool) -> tuple[dict[str, int], int, list[Any]]:
    rng = random.Random(seed)
    names = [f"p{i}" for i in range(rng.randint(3, 9))]
    budget = rng.randint(50, 200)
    costs = {n: rng.randint(5, budget) for n in names}
    ballots: list[Any] = []
    for _ in range(rng.randint(3, 40)):
        chosen = rng.sample(names, rng.randint(1, len(names)))
        ballots.append({p: rng.randint(1, 3) for p in chosen} if cumulative else chosen)
    # Every project gets a vote, so pabutools and Vmeste see the same projects.
    for name in names:
        ballots.append({name: 1} if cumulative else [name])
    return costs, budget, ballots


def _pabutools_direct(
    costs: dict[str, int], budget: int, ballots: list[Any], rule: str, cumulative: bool
) -> list[str]:
    projects = {n: Project(n, c) for n, c in costs.items()}
    instance = Instance(projects.values(), budget_limit=budget)
    if cumulative:
        profile: Any = CumulativeProfile(
            [CumulativeBallot({projects[p]: v for p, v in b.items()}) for b in ballots]
        )
        mes_sat, greedy_sat = Additive_Cardinal_Sat, _PointsTimesCost
    else:
        profile = ApprovalProfile([ApprovalBallot(projects[p] for p in b) for b in ballots])
        mes_sat = greedy_sat = Cost_Sat
    if rule == "greedy":
        outcome = greedy_utilitarian_welfare(instance, profile, sat_class=greedy_sat)
    elif rule == "equal_shares":
        outcome = completion_by_rule_combination(
            instance,
            profile,
            [method_of_equal_shares, greedy_utilitarian_welfare],
            [{"sat_class": mes_sat}, {"sat_class": greedy_sat}],
        )
    else:
        outcome = sequential_phragmen(instance, profile)
    return [str(p.name) for p in outcome]


@pytest.mark.parametrize("seed", range(15))
@pytest.mark.parametrize("rule", ["greedy", "equal_shares", "phragmen"])
def test_approval_allocation_matches_pabutools_run_directly(rule: str, seed: int) -> None:
    costs, budget, ballots = _random_election(seed, cumulative=False)
    poll = project_vote(costs, budget=budget, rule=rule)

    allocation = _allocate(poll, ballots)

    expected = _pabutools_direct(costs, budget, ballots, rule, cumulative=False)
    assert sorted(allocation.funded) == sorted(expected)
    if rule != "phragmen":  # Phragmén's outcome comes back sorted, without its order
        assert list(allocation.funded) == expected
    assert allocation.spent == sum(costs[p] for p in expected)


@pytest.mark.parametrize("seed", range(15))
@pytest.mark.parametrize("rule", ["greedy", "equal_shares"])
def test_cumulative_allocation_matches_pabutools_run_directly(rule: str, seed: int) -> None:
    costs, budget, ballots = _random_election(seed, cumulative=True)
    kind = {"kind": "cumulative", "points": 3 * len(costs), "max_per_project": 3}
    poll = project_vote(costs, budget=budget, rule=rule, ballot_kind=kind)

    allocation = _allocate(poll, ballots)

    expected = _pabutools_direct(costs, budget, ballots, rule, cumulative=True)
    assert list(allocation.funded) == expected


@pytest.mark.parametrize("seed", range(15))
@pytest.mark.parametrize("rule", ["greedy", "equal_shares", "phragmen"])
def test_every_unfunded_project_with_votes_has_a_consistent_reason(rule: str, seed: int) -> None:
    costs, budget, ballots = _random_election(seed, cumulative=False)
    allocation = _allocate(project_vote(costs, budget=budget, rule=rule), ballots)

    for outcome in allocation.projects:
        if outcome.funded:
            assert outcome.reason is None
            continue
        assert outcome.remaining_at_turn is not None
        if outcome.reason in ("over_remaining_budget", "equal_shares_ran_out"):
            assert outcome.cost > outcome.remaining_at_turn
        else:
            assert outcome.reason == "rule_stopped"
            assert outcome.cost <= allocation.remaining


_HASH_SEED_SCRIPT = """
import random
from shared.tally.ballot import make_entry
from shared.tally.results import compute_results, results_bytes
from tests.unit.tally._polls import project_vote
rng = random.Random(3)
costs = {f"p{i}": 10 for i in range(8)}
ballots = [rng.sample(sorted(costs), 2) for _ in range(30)]
for rule in ("greedy", "equal_shares", "phragmen"):
    poll = project_vote(costs, budget=45, rule=rule)
    entries = [make_entry(poll, {"pb": b}, nonce="0" * 32) for b in ballots]
    print(results_bytes(compute_results(poll, entries)).decode())
"""


def test_outcomes_do_not_depend_on_python_hash_randomisation() -> None:
    # pabutools keeps projects in sets; many ties here make any set-order leak visible.
    outputs = {
        subprocess.run(
            [sys.executable, "-c", _HASH_SEED_SCRIPT],
            capture_output=True,
            check=True,
            text=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2", "3")
    }

    assert len(outputs) == 1
