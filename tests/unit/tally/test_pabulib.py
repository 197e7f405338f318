from __future__ import annotations

from typing import Any

import pytest
from pabutools.election.pabulib import parse_pabulib_from_string

from shared.tally.ballot import make_entry
from shared.tally.definition import Approval, CostLimitedApproval, Cumulative, ProjectVote
from shared.tally.pabulib import QUESTION_ID, PabulibError, export_pb, import_pb
from shared.tally.results import compute_results
from tests.unit.tally._polls import definition

COSTS = {"p1": 40, "p2": 30, "p3": 20, "p10": 10}


def _poll(ballot_kind: dict[str, Any], rule: str = "equal_shares") -> Any:
    projects = [
        {"id": p, "title": f"Project; {p}", "cost": c, "district": "North"}
        for p, c in COSTS.items()
    ]
    projects[0]["description"] = "New\nbenches"
    return definition(
        [
            {
                "kind": "project_vote",
                "id": QUESTION_ID,
                "text": "Fund",
                "projects": projects,
                "budget": 60,
                "ballot_kind": ballot_kind,
                "rule": rule,
            }
        ],
        kind="project_vote",
    )


ROUND_TRIPS = [
    ({"kind": "approval", "max_approvals": 2}, [["p1", "p3"], ["p2"], ["p10", "p2"]]),
    ({"kind": "cost_limited_approval"}, [["p1", "p3"], ["p2", "p10"], ["p10"]]),
    (
        {"kind": "cumulative", "points": 5, "max_per_project": 3},
        [{"p1": 3, "p2": 2}, {"p10": 1}, {"p2": 3, "p3": 1}],
    ),
]


@pytest.mark.parametrize(("ballot_kind", "answers"), ROUND_TRIPS)
def test_export_then_import_gives_back_the_poll_and_its_votes(
    ballot_kind: dict[str, Any], answers: list[Any]
) -> None:
    poll = _poll(ballot_kind)
    entries = [make_entry(poll, {QUESTION_ID: a}) for a in answers]

    imported = import_pb(export_pb(poll, entries), poll_id=poll.id)

    original, again = poll.questions[0], imported.definition.questions[0]
    assert isinstance(original, ProjectVote)
    assert isinstance(again, ProjectVote)
    assert (again.budget, again.ballot_kind, again.rule) == (
        original.budget,
        original.ballot_kind,
        original.rule,
    )
    assert [(p.id, p.cost, p.district) for p in again.projects] == [
        (p.id, p.cost, p.district) for p in original.projects
    ]
    assert again.projects[0].title == "Project, p1"
    assert again.projects[0].description == "New benches"
    assert list(imported.answers) == [dict(e.answers) for e in entries]


@pytest.mark.parametrize(("ballot_kind", "answers"), ROUND_TRIPS)
def test_the_imported_votes_give_the_same_allocation(
    ballot_kind: dict[str, Any], answers: list[Any]
) -> None:
    poll = _poll(ballot_kind)
    entries = [make_entry(poll, {QUESTION_ID: a}) for a in answers]
    imported = import_pb(export_pb(poll, entries), poll_id=poll.id)

    again = [make_entry(imported.definition, a) for a in imported.answers]

    assert compute_results(imported.definition, again).allocation == (
        compute_results(poll, entries).allocation
    )


def test_the_export_is_a_file_pabutools_reads_with_every_vote() -> None:
    poll = _poll({"kind": "approval", "max_approvals": 2})
    entries = [make_entry(poll, {QUESTION_ID: a}) for a in [["p1"], ["p2", "p3"]]]

    instance, profile = parse_pabulib_from_string(export_pb(poll, entries))

    assert instance.budget_limit == 60
    assert instance.meta["rule"] == "equalshares"
    assert profile.num_ballots() == 2
    assert sorted(sorted(str(p.name) for p in b) for b in profile) == [["p1"], ["p2", "p3"]]


def test_the_export_is_deterministic() -> None:
    poll = _poll({"kind": "approval", "max_approvals": 4})
    entries = [make_entry(poll, {QUESTION_ID: ["p10", "p3", "p2", "p1"]}) for _ in range(3)]

    text = export_pb(poll, entries)

    assert text == export_pb(poll, entries)
    assert "\n1;p1,p10,p2,p3\n" in text


PB_FILE = """META
key;value
description;Zielony budżet 2023
country;Poland
unit;Warszawa
instance;2023
num_projects;3
num_votes;3
budget;1000
vote_type;approval
rule;equalshares/add1
max_length;2
PROJECTS
project_id;cost;name;votes
2;400;Park;2
10;600;Library;2
1;300;Bike lanes;1
VOTES
voter_id;vote
1;2,10
2;1,2
3;10
"""


def test_a_pabulib_file_becomes_a_project_vote_in_the_file_order() -> None:
    imported = import_pb(PB_FILE, poll_id="warsaw-2023")

    question = imported.definition.questions[0]
    assert isinstance(question, ProjectVote)
    assert imported.definition.title == "Zielony budżet 2023"
    assert question.budget == 1000
    assert question.rule == "equal_shares"
    assert question.ballot_kind == Approval(max_approvals=2)
    assert [(p.id, p.title, p.cost) for p in question.projects] == [
        ("2", "Park", 400),
        ("10", "Library", 600),
        ("1", "Bike lanes", 300),
    ]
    assert imported.answers == (
        {"projects": ("10", "2")},
        {"projects": ("1", "2")},
        {"projects": ("10",)},
    )


@pytest.mark.parametrize(
    ("meta", "kind"),
    [
        ("vote_type;approval\n", Approval(max_approvals=3)),
        ("vote_type;choose-1\n", Approval(max_approvals=1)),
        ("vote_type;approval\nmax_sum_cost;1000\n", CostLimitedApproval()),
        (
            "vote_type;cumulative\nmax_sum_points;10\nmax_points;4\n",
            Cumulative(points=10, max_per_project=4),
        ),
    ],
)
def test_ballot_kinds_are_read_from_the_meta_section(meta: str, kind: Any) -> None:
    text = "META\nkey;value\nbudget;1000\n" + meta + "PROJECTS\nproject_id;cost\n"
    text += "1;300\n2;400\n3;500\nVOTES\nvoter_id;vote;points\n"

    question = import_pb(text, poll_id="x", title="T").definition.questions[0]

    assert isinstance(question, ProjectVote)
    assert question.ballot_kind == kind


def test_an_unknown_rule_hint_falls_back_to_greedy_unless_a_rule_is_given() -> None:
    text = PB_FILE.replace("equalshares/add1", "unknown")

    assert isinstance(q := import_pb(text, poll_id="x").definition.questions[0], ProjectVote)
    assert q.rule == "greedy"
    assert isinstance(
        q := import_pb(text, poll_id="x", rule="phragmen").definition.questions[0], ProjectVote
    )
    assert q.rule == "phragmen"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("vote_type;approval", "vote_type;ordinal"), "vote_type 'ordinal' has no Vmeste"),
        (("2;400;Park", "2;400.5;Park"), "cost of project 2 400.5 is not a whole number"),
        (("key;value", "key;value\nmax_sum_cost;500"), "max_sum_cost 500 is below the budget"),
    ],
)
def test_files_vmeste_cannot_represent_are_refused(change: tuple[str, str], message: str) -> None:
    with pytest.raises(PabulibError, match=message):
        import_pb(PB_FILE.replace(*change), poll_id="x")
