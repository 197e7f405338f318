"""Form fields of the poll page become ballot answers the casting domain accepts."""

from __future__ import annotations

import pytest

from services.polls.pages.ballot_form import answers_from_form
from services.polls.pages.builder import BuilderError, parse_builder, parse_projects
from shared.tally.ballot import make_entry
from shared.tally.definition import (
    Cumulative,
    MultipleChoice,
    Option,
    PollDefinition,
    Project,
    ProjectVote,
    Ranking,
    Scale,
    ShowIf,
    SingleChoice,
)

YES_NO = (Option(id="yes", label="Yes"), Option(id="no", label="No"))
ABC = tuple(Option(id=i, label=i.upper()) for i in "abc")
SURVEY = PollDefinition(
    id="p1",
    kind="survey",
    title="T",
    questions=(
        SingleChoice(id="q1", text="?", options=YES_NO),
        MultipleChoice(
            id="q2", text="?", options=ABC, show_if=ShowIf(question="q1", op="equals", option="yes")
        ),
        Ranking(id="q3", text="?", options=ABC),
        Scale(id="q4", text="?", min=1, max=5),
    ),
)


def test_answers_follow_each_question_kind() -> None:
    form = {"q.q1": ["yes"], "q.q2": ["a", "c"], "q.q3": ["c", "a", "b"], "q.q4": ["4"]}
    answers = answers_from_form(SURVEY, form)
    assert answers == {"q1": "yes", "q2": ("a", "c"), "q3": ("c", "a", "b"), "q4": 4}
    make_entry(SURVEY, answers)


def test_answers_to_hidden_questions_are_dropped() -> None:
    form = {"q.q1": ["no"], "q.q2": ["a"], "q.q3": ["a", "b", "c"], "q.q4": ["1"]}
    answers = answers_from_form(SURVEY, form)
    assert "q2" not in answers
    make_entry(SURVEY, answers)


def test_cumulative_points_come_from_one_field_per_project() -> None:
    definition = PollDefinition(
        id="p2",
        kind="project_vote",
        title="T",
        questions=(
            ProjectVote(
                id="pb",
                text="?",
                projects=(Project(id="x", title="X", cost=5), Project(id="y", title="Y", cost=5)),
                budget=10,
                ballot_kind=Cumulative(points=5, max_per_project=3),
                rule="greedy",
            ),
        ),
    )
    assert answers_from_form(definition, {"q.pb.x": ["3"], "q.pb.y": ["0"]}) == {"pb": {"x": 3}}


def test_projects_csv_with_header_and_semicolons() -> None:
    projects = parse_projects("title;cost;district\nПарк;1 000 000;Центр\nКаток;500000;\n")
    assert [(p.id, p.title, p.cost, p.district) for p in projects] == [
        ("p1", "Парк", 1_000_000, "Центр"),
        ("p2", "Каток", 500_000, None),
    ]


def test_builder_lists_every_problem() -> None:
    with pytest.raises(BuilderError) as refused:
        parse_builder({"kind": ["survey"], "opens_at": ["nonsense"]})
    assert len(refused.value.problems) >= 3
