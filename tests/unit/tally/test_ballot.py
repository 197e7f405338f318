from __future__ import annotations

from typing import Any

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.canonical import canonical_bytes
from shared.tally.ballot import (
    BallotEntry,
    BallotError,
    EntryError,
    decode_entry,
    encode_entry,
    make_entry,
    new_nonce,
    validate_answers,
    validate_entry,
    visible_questions,
)
from shared.tally.definition import (
    Approval,
    CostLimitedApproval,
    Cumulative,
    FreeText,
    MultipleChoice,
    PollDefinition,
    ProjectVote,
    Ranking,
    Scale,
    SingleChoice,
)
from tests.unit.tally._polls import project_vote, survey

SURVEY = survey()
BASE: dict[str, Any] = {"resident": "no", "priority": ["paths", "light", "benches"]}


def _issues(definition: PollDefinition, answers: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(BallotError) as exc:
        validate_answers(definition, answers)
    return {issue.path: issue.reason for issue in exc.value.issues}


def _with(**answers: Any) -> dict[str, Any]:
    return {**BASE, **answers}


def test_a_minimal_valid_ballot_validates() -> None:
    validate_answers(SURVEY, BASE)


# Each question kind: what it accepts and what it refuses, with the reason a voter sees.
@pytest.mark.parametrize(
    ("answers", "path", "reason"),
    [
        (_with(resident="maybe"), "answers.resident", "expected one of ['no', 'yes']"),
        (_with(resident=["yes"]), "answers.resident", "expected one of ['no', 'yes']"),
        (
            _with(resident="yes", use=[]),
            "answers.use",
            "choose between 1 and 3 options",
        ),
        (
            _with(resident="yes", use=["walk", "sport", "kids", "dogs"], dogs_ok=3),
            "answers.use",
            "choose between 1 and 3 options",
        ),
        (
            _with(resident="yes", use=["walk", "walk"]),
            "answers.use",
            "each option may appear only once",
        ),
        (_with(resident="yes", use=["swim"]), "answers.use.swim", "no such option"),
        (_with(resident="yes", use="walk"), "answers.use", "expected a list of option ids"),
        (
            _with(priority=["light", "benches"]),
            "answers.priority",
            "rank exactly 3 options, best first",
        ),
        (_with(top2=["fair"]), "answers.top2", "rank exactly 2 options, best first"),
        (_with(top2=["fair", "fair"]), "answers.top2", "each option may appear only once"),
        (
            _with(resident="yes", use=["dogs"], dogs_ok=6),
            "answers.dogs_ok",
            "expected a whole number from 1 to 5",
        ),
        (
            _with(resident="yes", use=["dogs"], dogs_ok=True),
            "answers.dogs_ok",
            "expected a whole number from 1 to 5",
        ),
        (
            _with(resident="yes", use=["dogs"], dogs_ok="4"),
            "answers.dogs_ok",
            "expected a whole number from 1 to 5",
        ),
        (_with(comment="x" * 51), "answers.comment", "expected text of 1 to 50 characters"),
        (_with(comment="   "), "answers.comment", "expected text of 1 to 50 characters"),
        (_with(extra="x"), "answers.extra", "no such question in this poll"),
    ],
)
def test_invalid_answers_are_refused_with_the_question_and_reason(
    answers: dict[str, Any], path: str, reason: str
) -> None:
    assert _issues(SURVEY, answers)[path] == reason


@pytest.mark.parametrize(
    "answers",
    [
        _with(resident="yes", use=["walk"]),
        _with(resident="yes", use=["walk", "dogs", "kids"], dogs_ok=5),
        _with(top2=["market", "fair"]),
        _with(comment="x" * 50),
        _with(resident="yes", use=("sport",)),
    ],
)
def test_valid_answers_of_every_kind_are_accepted(answers: dict[str, Any]) -> None:
    validate_answers(SURVEY, answers)


def test_a_required_question_must_be_answered() -> None:
    answers = dict(BASE)
    del answers["priority"]

    assert _issues(SURVEY, answers) == {"answers.priority": "this question must be answered"}


def test_an_optional_question_may_be_left_out() -> None:
    validate_answers(SURVEY, BASE)  # neither top2 nor comment


def test_a_question_shown_by_its_condition_must_be_answered() -> None:
    assert _issues(SURVEY, _with(resident="yes")) == {
        "answers.use": "this question must be answered"
    }


def test_a_hidden_question_must_be_left_unanswered() -> None:
    issues = _issues(SURVEY, _with(resident="no", use=["walk"]))

    assert issues == {
        "answers.use": "this question is shown only if 'resident' equals 'yes'; leave it unanswered"
    }


def test_a_question_conditioned_on_a_hidden_question_is_hidden_too() -> None:
    # dogs_ok depends on use, which is hidden when resident is "no".
    assert [q.id for q in visible_questions(SURVEY, BASE)] == [
        "resident",
        "priority",
        "top2",
        "comment",
    ]
    assert "answers.dogs_ok" in _issues(SURVEY, _with(dogs_ok=3))


def test_includes_shows_the_question_when_the_option_was_chosen() -> None:
    assert "dogs_ok" in [
        q.id for q in visible_questions(SURVEY, _with(resident="yes", use=["dogs"]))
    ]
    assert "dogs_ok" not in [
        q.id for q in visible_questions(SURVEY, _with(resident="yes", use=["walk"]))
    ]


COSTS = {"p1": 40, "p2": 30, "p3": 20, "p4": 10}


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (["p1", "p2", "p3"], "approve between 1 and 2 projects"),
        ([], "approve between 1 and 2 projects"),
        (["p1", "p1"], "each project may appear only once"),
        ({"p1": 1}, "expected a list of project ids"),
    ],
)
def test_approval_allows_at_most_k_projects(answer: Any, reason: str) -> None:
    poll = project_vote(COSTS, budget=60, ballot_kind={"kind": "approval", "max_approvals": 2})

    validate_answers(poll, {"pb": ["p1", "p4"]})
    assert _issues(poll, {"pb": answer}) == {"answers.pb": reason}


def test_approval_of_an_unknown_project_is_refused() -> None:
    poll = project_vote(COSTS, budget=60)

    assert _issues(poll, {"pb": ["p9"]}) == {"answers.pb.p9": "no such project"}


def test_cost_limited_approval_must_fit_the_budget() -> None:
    poll = project_vote(COSTS, budget=60, ballot_kind={"kind": "cost_limited_approval"})

    validate_answers(poll, {"pb": ["p1", "p3"]})  # exactly the budget
    assert _issues(poll, {"pb": ["p1", "p2"]}) == {
        "answers.pb": "the chosen projects cost 70, more than the budget 60"
    }
    assert _issues(poll, {"pb": []}) == {"answers.pb": "approve at least one project"}


@pytest.mark.parametrize(
    ("answer", "path", "reason"),
    [
        ({"p1": 3, "p2": 3}, "answers.pb", "6 points given, at most 5 allowed"),
        ({"p1": 4}, "answers.pb.p1", "give between 1 and 3 points"),
        ({"p1": 0}, "answers.pb.p1", "give between 1 and 3 points"),
        ({"p1": True}, "answers.pb.p1", "give between 1 and 3 points"),
        ({"p9": 1}, "answers.pb.p9", "no such project"),
        ({}, "answers.pb", "give points to at least one project"),
        (["p1"], "answers.pb", "expected an object mapping project ids to points"),
    ],
)
def test_cumulative_points_respect_the_total_and_the_per_project_cap(
    answer: Any, path: str, reason: str
) -> None:
    kind = {"kind": "cumulative", "points": 5, "max_per_project": 3}
    poll = project_vote(COSTS, budget=60, ballot_kind=kind)

    validate_answers(poll, {"pb": {"p1": 3, "p2": 2}})
    assert _issues(poll, {"pb": answer}) == {path: reason}


def test_the_project_vote_must_be_answered() -> None:
    poll = project_vote(COSTS, budget=60)

    assert _issues(poll, {}) == {"answers.pb": "this question must be answered"}


# Ballot entries: bytes in, bytes out.


def test_an_entry_is_encoded_in_the_fixed_field_order_without_whitespace() -> None:
    entry = make_entry(SURVEY, BASE, nonce="0" * 32)

    assert encode_entry(entry) == (
        b'{"v":1,"poll":"poll-1","nonce":"00000000000000000000000000000000",'
        b'"answers":{"priority":["paths","light","benches"],"resident":"no"}}'
    )
    assert encode_entry(entry) == canonical_bytes(entry)


def test_a_new_nonce_is_128_random_bits_in_lowercase_hex() -> None:
    nonces = {new_nonce() for _ in range(100)}

    assert len(nonces) == 100
    assert all(len(n) == 32 and n == n.lower() and int(n, 16) >= 0 for n in nonces)


def test_make_entry_puts_unordered_choices_in_sorted_order_and_keeps_rankings() -> None:
    answers = _with(resident="yes", use=["walk", "dogs"], dogs_ok=2)

    entry = make_entry(SURVEY, answers)

    assert entry.answers["use"] == ("dogs", "walk")
    assert entry.answers["priority"] == ("paths", "light", "benches")


def test_make_entry_refuses_invalid_answers() -> None:
    with pytest.raises(BallotError):
        make_entry(SURVEY, {"resident": "maybe"})


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"not json", "malformed"),
        (b'{"v":1,"poll":"poll-1","nonce":"' + b"0" * 32 + b'"}', "malformed"),
        (b'{"v":2,"poll":"poll-1","nonce":"' + b"0" * 32 + b'","answers":{}}', "malformed"),
        (b'{"v":1,"poll":"poll-1","nonce":"' + b"A" * 32 + b'","answers":{}}', "malformed"),
        (b'{"v":1,"poll":"poll-1","nonce":"' + b"0" * 31 + b'","answers":{}}', "malformed"),
        (
            b'{"v":1,"poll":"poll-1","nonce":"' + b"0" * 32 + b'","answers":{},"x":1}',
            "malformed",
        ),
        (
            b'{"v":1,"poll":"poll-1","nonce":"' + b"0" * 32 + b'","answers":{"q":4.0}}',
            "malformed",
        ),
        (b'{"v": 1,"poll":"poll-1","nonce":"' + b"0" * 32 + b'","answers":{}}', "non_canonical"),
        (b'{"poll":"poll-1","v":1,"nonce":"' + b"0" * 32 + b'","answers":{}}', "non_canonical"),
        (
            b'{"v":1,"poll":"poll-1","nonce":"' + b"0" * 32 + b'","answers":{"b":1,"a":1}}',
            "non_canonical",
        ),
        (
            b'{"v":1,"poll":"poll-1","nonce":"' + b"0" * 32 + b'","answers":{"a":1,"a":2}}',
            "non_canonical",
        ),
        (
            b'{"v":1,"poll":"poll-1","nonce":"' + b"0" * 32 + b'","answers":{"a":"\\u0061"}}',
            "non_canonical",
        ),
        (b'{"v":1,"poll":"poll-1","nonce":"' + b"0" * 32 + b'","answers":{}}\n', "non_canonical"),
    ],
)
def test_decode_entry_refuses_anything_but_canonical_bytes(data: bytes, code: str) -> None:
    with pytest.raises(EntryError) as exc:
        decode_entry(data)

    assert exc.value.code == code


def test_validate_entry_refuses_an_entry_for_another_poll() -> None:
    entry = msgspec.structs.replace(make_entry(SURVEY, BASE), poll="poll-2")

    with pytest.raises(BallotError) as exc:
        validate_entry(SURVEY, entry)

    assert exc.value.issues[0].path == "poll"


def test_validate_entry_refuses_unsorted_choices() -> None:
    entry = BallotEntry(
        v=1,
        poll="poll-1",
        nonce=new_nonce(),
        answers={**BASE, "resident": "yes", "use": ("walk", "dogs"), "dogs_ok": 3},
    )

    with pytest.raises(BallotError) as exc:
        validate_entry(SURVEY, entry)

    assert exc.value.issues[0].reason == "answers are not in normal form (sorted choices)"


# Property tests: any valid ballot validates, and entry bytes round-trip exactly.

PB_APPROVAL = project_vote(COSTS, budget=60, ballot_kind={"kind": "approval", "max_approvals": 2})
PB_LIMITED = project_vote(COSTS, budget=60, ballot_kind={"kind": "cost_limited_approval"})
PB_CUMULATIVE = project_vote(
    COSTS, budget=60, ballot_kind={"kind": "cumulative", "points": 5, "max_per_project": 3}
)


@st.composite
def valid_answers(draw: st.DrawFn, definition: PollDefinition) -> dict[str, Any]:
    """Answers a voter could give, drawn question by question as the form shows them."""
    answers: dict[str, Any] = {}
    for question in definition.questions:
        if question not in visible_questions(definition, answers):
            continue
        if not question.required and draw(st.booleans()):
            continue
        answers[question.id] = draw(_answer(question))
    return answers


def _answer(question: Any) -> st.SearchStrategy[Any]:
    match question:
        case SingleChoice(options=options):
            return st.sampled_from([o.id for o in options])
        case MultipleChoice(options=options, min_choices=low, max_choices=high):
            ids = [o.id for o in options]
            return st.lists(
                st.sampled_from(ids), min_size=low, max_size=high or len(ids), unique=True
            )
        case Ranking(options=options, top=top):
            ids = [o.id for o in options]
            return st.permutations(ids).map(lambda p: p[: top or len(ids)])
        case Scale(min=low, max=high):
            return st.integers(low, high)
        case FreeText(max_length=limit):
            return st.text(min_size=1, max_size=limit).filter(lambda t: t.strip() != "")
        case ProjectVote(ballot_kind=Approval(max_approvals=k), projects=projects):
            ids = [p.id for p in projects]
            return st.lists(st.sampled_from(ids), min_size=1, max_size=k, unique=True)
        case ProjectVote(ballot_kind=CostLimitedApproval(), projects=projects, budget=budget):
            return (
                st.lists(st.sampled_from(projects), min_size=1, unique=True)
                .filter(lambda chosen: sum(p.cost for p in chosen) <= budget)
                .map(lambda chosen: [p.id for p in chosen])
            )
        case ProjectVote(ballot_kind=Cumulative(points=points, max_per_project=per)):
            ids = [p.id for p in question.projects]
            return st.dictionaries(st.sampled_from(ids), st.integers(1, per), min_size=1).filter(
                lambda given: sum(given.values()) <= points
            )
    raise AssertionError(question)


POLLS = st.sampled_from([SURVEY, PB_APPROVAL, PB_LIMITED, PB_CUMULATIVE])


@settings(max_examples=150, deadline=None)
@given(data=st.data(), definition=POLLS)
def test_random_valid_ballots_always_validate(
    data: st.DataObject, definition: PollDefinition
) -> None:
    answers = data.draw(valid_answers(definition))

    validate_answers(definition, answers)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), definition=POLLS)
def test_encode_then_decode_is_the_identity(
    data: st.DataObject, definition: PollDefinition
) -> None:
    entry = make_entry(definition, data.draw(valid_answers(definition)))

    encoded = encode_entry(entry)
    decoded = decode_entry(encoded)

    assert decoded == entry
    assert encode_entry(decoded) == encoded
    validate_entry(definition, decoded)
