"""Editing a poll in the builder: the builder's fields describing a stored poll read back as
the same poll (questions, conditions, projects and eligibility)."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import cast

import pytest

from services.polls.pages.builder import BuilderError, form_blocks, form_of_poll, parse_builder
from services.polls.polls.store import PollRecord
from shared.eligibility import Eligibility
from shared.tally.definition import (
    Cumulative,
    MultipleChoice,
    Option,
    Project,
    ProjectVote,
    Scale,
    ShowIf,
    SingleChoice,
)

OPENS = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
CLOSES = dt.datetime(2026, 12, 8, 21, 30, tzinfo=dt.UTC)


def _poll(kind: str, *questions: object) -> PollRecord:
    return cast(
        PollRecord,
        SimpleNamespace(
            organisation="tyumen-city",
            title="Сквер",
            description="Описание",
            kind=kind,
            opens_at=OPENS,
            closes_at=CLOSES,
            eligibility=Eligibility(min_age=16, confirmed_only=False),
            show_intermediate_results=True,
            anonymity_batch=25,
            definition=SimpleNamespace(questions=questions),
        ),
    )


def test_a_survey_reads_back_with_its_conditions() -> None:
    yes_no = (Option(id="yes", label="Да"), Option(id="no", label="Нет"))
    poll = _poll(
        "survey",
        SingleChoice(id="lights", text="Освещение?", options=yes_no),
        MultipleChoice(
            id="where",
            text="Где?",
            options=(Option(id="a", label="A"), Option(id="b", label="B")),
            max_choices=2,
            required=False,
            show_if=ShowIf(question="lights", op="equals", option="no"),
        ),
        Scale(id="mood", text="Оценка", min=0, max=10),
    )
    form = form_of_poll(poll)
    assert form_blocks(form) == [0, 1, 2]
    parsed = parse_builder(form)
    assert (parsed.title, parsed.description, parsed.kind) == ("Сквер", "Описание", "survey")
    assert (parsed.opens_at, parsed.closes_at) == (OPENS, CLOSES)
    assert parsed.eligibility == Eligibility(min_age=16, confirmed_only=False)
    assert parsed.show_intermediate_results
    assert parsed.anonymity_batch == 25
    first, second, third = parsed.questions
    assert isinstance(first, SingleChoice)
    assert [o.label for o in first.options] == ["Да", "Нет"]
    assert isinstance(second, MultipleChoice)
    assert second.max_choices == 2
    assert not second.required
    assert second.show_if == ShowIf(question="q1", op="equals", option="o2")
    assert isinstance(third, Scale)
    assert (third.min, third.max) == (0, 10)


def test_a_project_vote_reads_back_with_its_projects() -> None:
    projects = (
        Project(id="x", title="Парк; детский", cost=1_000_000, district="Центр", description="Д"),
        Project(id="y", title="Фонари", cost=250_000),
    )
    poll = _poll(
        "project_vote",
        ProjectVote(
            id="pb",
            text="Какие проекты?",
            projects=projects,
            budget=1_200_000,
            ballot_kind=Cumulative(points=10, max_per_project=4),
            rule="equal_shares",
        ),
    )
    parsed = parse_builder(form_of_poll(poll))
    (vote,) = parsed.questions
    assert isinstance(vote, ProjectVote)
    assert [(p.title, p.cost, p.district) for p in vote.projects] == [
        ("Парк; детский", 1_000_000, "Центр"),
        ("Фонари", 250_000, None),
    ]
    assert vote.budget == 1_200_000
    assert vote.ballot_kind == Cumulative(points=10, max_per_project=4)
    assert vote.rule == "equal_shares"
    assert vote.text == "Какие проекты?"


def test_the_anonymity_batch_defaults_to_twenty_and_must_be_a_number() -> None:
    form = {
        "title": ["Сквер"],
        "opens_at": ["2026-12-01T09:00"],
        "closes_at": ["2026-12-08T21:30"],
        "questions-0-kind": ["scale"],
        "questions-0-text": ["Оценка"],
    }
    assert parse_builder(form).anonymity_batch == 20
    assert parse_builder({**form, "anonymity_batch": ["5"]}).anonymity_batch == 5
    with pytest.raises(BuilderError, match="anonymity batch"):
        parse_builder({**form, "anonymity_batch": ["many"]})
