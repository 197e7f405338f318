from __future__ import annotations

import copy
from typing import Any

import msgspec
import pytest

from shared.tally.definition import (
    DefinitionError,
    MultipleChoice,
    ProjectVote,
    Scale,
    decode_definition,
    encode_definition,
)
from tests.unit.tally._polls import SURVEY, definition, options, project_vote, survey


def _reasons(exc: pytest.ExceptionInfo[DefinitionError]) -> dict[str, str]:
    return {issue.path: issue.reason for issue in exc.value.issues}


def _survey_with(index: int, **changes: Any) -> list[dict[str, Any]]:
    questions = copy.deepcopy(SURVEY)
    questions[index].update(changes)
    return questions


def test_a_valid_survey_decodes_into_typed_questions() -> None:
    poll = survey()

    assert poll.kind == "survey"
    assert isinstance(poll.questions[1], MultipleChoice)
    assert isinstance(poll.questions[2], Scale)
    assert poll.questions[2].show_if is not None


def test_encoding_a_definition_and_decoding_it_gives_the_same_definition() -> None:
    poll = survey()

    assert decode_definition(encode_definition(poll)) == poll
    assert encode_definition(decode_definition(encode_definition(poll))) == encode_definition(poll)


def test_unknown_fields_are_refused_with_their_path() -> None:
    questions = _survey_with(0, colour="red")

    with pytest.raises(DefinitionError) as exc:
        definition(questions)

    assert "colour" in str(exc.value)
    assert exc.value.issues[0].path == "$.questions[0]"


@pytest.mark.parametrize("bad_id", ["", "has space", "-leading", "x" * 65, "кириллица"])
def test_ids_outside_the_stable_pattern_are_refused(bad_id: str) -> None:
    with pytest.raises(DefinitionError):
        definition(_survey_with(0, id=bad_id))


def test_duplicate_question_ids_are_refused() -> None:
    questions = copy.deepcopy(SURVEY)
    questions[3]["id"] = "resident"

    with pytest.raises(DefinitionError) as exc:
        definition(questions)

    assert _reasons(exc)["questions[3].id"] == "duplicate question id 'resident'"


def test_duplicate_option_ids_are_refused() -> None:
    with pytest.raises(DefinitionError) as exc:
        definition(_survey_with(0, options=options("yes", "no", "yes")))

    assert _reasons(exc)["questions.resident.options[2].id"] == "duplicate option id 'yes'"


def test_multiple_choice_min_above_max_is_refused() -> None:
    with pytest.raises(DefinitionError) as exc:
        definition(_survey_with(1, min_choices=3, max_choices=2))

    assert _reasons(exc)["questions.use.min_choices"] == "min_choices 3 exceeds max_choices 2"


def test_multiple_choice_max_above_the_number_of_options_is_refused() -> None:
    with pytest.raises(DefinitionError) as exc:
        definition(_survey_with(1, max_choices=5))

    assert _reasons(exc)["questions.use.max_choices"] == "max_choices 5 exceeds the 4 options"


def test_ranking_top_k_must_be_within_the_options() -> None:
    with pytest.raises(DefinitionError) as exc:
        definition(_survey_with(4, top=5))

    assert _reasons(exc)["questions.top2.top"] == "top must be between 1 and 4, got 5"


def test_scale_min_must_be_below_max() -> None:
    with pytest.raises(DefinitionError) as exc:
        definition(_survey_with(2, min=5, max=5))

    assert _reasons(exc)["questions.dogs_ok.min"] == "min 5 must be less than max 5"


def test_scale_has_a_bounded_number_of_points() -> None:
    with pytest.raises(DefinitionError) as exc:
        definition(_survey_with(2, min=0, max=200))

    assert "at most 101 points" in _reasons(exc)["questions.dogs_ok.max"]


def test_free_text_length_is_bounded_at_2000() -> None:
    definition(_survey_with(5, max_length=2000))
    with pytest.raises(DefinitionError):
        definition(_survey_with(5, max_length=2001))


def test_a_condition_may_not_refer_to_a_later_question() -> None:
    questions = _survey_with(0, show_if={"question": "priority", "op": "includes", "option": "x"})

    with pytest.raises(DefinitionError) as exc:
        definition(questions)

    assert _reasons(exc)["questions.resident.show_if.question"] == (
        "'priority' is not an earlier question; a condition may only refer to a question "
        "asked before it"
    )


def test_a_condition_may_not_refer_to_its_own_question() -> None:
    questions = _survey_with(0, show_if={"question": "resident", "op": "equals", "option": "yes"})

    with pytest.raises(DefinitionError):
        definition(questions)


def test_equals_needs_a_single_choice_question() -> None:
    questions = _survey_with(2, show_if={"question": "use", "op": "equals", "option": "dogs"})

    with pytest.raises(DefinitionError) as exc:
        definition(questions)

    assert _reasons(exc)["questions.dogs_ok.show_if.op"] == (
        "'equals' needs a single_choice question, 'use' is multiple_choice"
    )


def test_includes_needs_a_multiple_choice_or_ranking_question() -> None:
    questions = _survey_with(1, show_if={"question": "resident", "op": "includes", "option": "yes"})

    with pytest.raises(DefinitionError) as exc:
        definition(questions)

    assert "'includes' needs a multiple_choice or ranking" in str(exc.value)


def test_a_condition_must_name_an_option_of_its_question() -> None:
    questions = _survey_with(1, show_if={"question": "resident", "op": "equals", "option": "mb"})

    with pytest.raises(DefinitionError) as exc:
        definition(questions)

    assert _reasons(exc)["questions.use.show_if.option"] == "'mb' is not an option of 'resident'"


def test_every_problem_is_reported_at_once() -> None:
    questions = copy.deepcopy(SURVEY)
    questions[1].update(min_choices=4, max_choices=3)
    questions[2].update(min=3, max=1)

    with pytest.raises(DefinitionError) as exc:
        definition(questions)

    assert set(_reasons(exc)) == {"questions.use.min_choices", "questions.dogs_ok.min"}


def test_a_valid_project_vote_decodes() -> None:
    poll = project_vote({"p1": 10, "p2": 20}, budget=25, rule="equal_shares")

    question = poll.questions[0]
    assert isinstance(question, ProjectVote)
    assert [p.cost for p in question.projects] == [10, 20]


@pytest.mark.parametrize("field", ["budget", "cost"])
def test_budget_and_costs_must_be_positive_whole_roubles(field: str) -> None:
    document = msgspec.json.decode(encode_definition(project_vote({"p1": 10}, budget=25)))
    target = document["questions"][0]
    if field == "cost":
        target = target["projects"][0]
    for bad in (0, -5, 10.5):
        target[field] = bad
        with pytest.raises(DefinitionError):
            decode_definition(msgspec.json.encode(document))


def test_a_project_costing_more_than_the_budget_is_refused() -> None:
    with pytest.raises(DefinitionError) as exc:
        project_vote({"p1": 10, "p2": 30}, budget=25)

    assert _reasons(exc)["questions.pb.projects.p2.cost"] == (
        "cost 30 exceeds the budget 25, so the project could never be funded"
    )


def test_duplicate_project_ids_are_refused() -> None:
    document = msgspec.json.decode(encode_definition(project_vote({"p1": 10}, budget=25)))
    document["questions"][0]["projects"].append({"id": "p1", "title": "Again", "cost": 5})

    with pytest.raises(DefinitionError) as exc:
        decode_definition(msgspec.json.encode(document))

    assert _reasons(exc)["questions.pb.projects[1].id"] == "duplicate project id 'p1'"


def test_approval_k_must_not_exceed_the_projects() -> None:
    with pytest.raises(DefinitionError) as exc:
        project_vote({"p1": 10}, budget=25, ballot_kind={"kind": "approval", "max_approvals": 2})

    assert "max_approvals 2 exceeds the 1 projects" in str(exc.value)


def test_cumulative_points_per_project_must_not_exceed_the_total() -> None:
    kind = {"kind": "cumulative", "points": 5, "max_per_project": 6}
    with pytest.raises(DefinitionError) as exc:
        project_vote({"p1": 10}, budget=25, ballot_kind=kind)

    assert "max_per_project 6 exceeds the 5 points" in str(exc.value)


def test_phragmen_with_cumulative_ballots_is_refused() -> None:
    kind = {"kind": "cumulative", "points": 5, "max_per_project": 3}
    with pytest.raises(DefinitionError) as exc:
        project_vote({"p1": 10}, budget=25, ballot_kind=kind, rule="phragmen")

    assert "phragmen needs approval ballots" in _reasons(exc)["questions.pb.rule"]


def test_a_project_vote_poll_needs_exactly_one_project_vote_question() -> None:
    with pytest.raises(DefinitionError) as exc:
        definition(copy.deepcopy(SURVEY), kind="project_vote")

    assert _reasons(exc)["questions"] == (
        "a project vote has exactly one project_vote question, found 0"
    )


def test_a_survey_cannot_hold_a_project_vote() -> None:
    document = msgspec.json.decode(encode_definition(project_vote({"p1": 10}, budget=25)))
    document["kind"] = "survey"

    with pytest.raises(DefinitionError) as exc:
        decode_definition(msgspec.json.encode(document))

    assert "belongs in a project_vote poll" in str(exc.value)


def test_a_project_vote_is_never_conditional_nor_optional() -> None:
    document = msgspec.json.decode(encode_definition(project_vote({"p1": 10}, budget=25)))
    document["questions"].insert(
        0, {"kind": "single_choice", "id": "q", "text": "?", "options": options("a", "b")}
    )
    document["questions"][1]["show_if"] = {"question": "q", "op": "equals", "option": "a"}
    document["questions"][1]["required"] = False

    with pytest.raises(DefinitionError) as exc:
        decode_definition(msgspec.json.encode(document))

    assert set(_reasons(exc)) == {"questions.pb.show_if", "questions.pb.required"}


def test_malformed_json_is_a_definition_error() -> None:
    with pytest.raises(DefinitionError) as exc:
        decode_definition(b"{not json")

    assert exc.value.issues[0].path == "$"
