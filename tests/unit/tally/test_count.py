from __future__ import annotations

import random
from typing import Any

import pytest

from shared.tally.ballot import BallotEntry, make_entry
from shared.tally.count import (
    FreeTextResult,
    MultipleChoiceResult,
    ProjectVoteResult,
    RankingResult,
    ScaleResult,
    SingleChoiceResult,
    count_entries,
    decimal,
    free_text_answers,
)
from tests.unit.tally._polls import project_vote, survey

SURVEY = survey()
ANSWERS: list[dict[str, Any]] = [
    {
        "resident": "yes",
        "use": ["walk", "dogs"],
        "dogs_ok": 2,
        "priority": ["light", "benches", "paths"],
        "comment": "More bins",
    },
    {
        "resident": "yes",
        "use": ["dogs"],
        "dogs_ok": 5,
        "priority": ["benches", "light", "paths"],
        "top2": ["fair", "cinema"],
    },
    {"resident": "yes", "use": ["walk"], "priority": ["light", "paths", "benches"]},
    {"resident": "no", "priority": ["paths", "light", "benches"], "comment": "Add lights"},
]


def _entries(answers: list[dict[str, Any]], poll: Any = SURVEY) -> list[BallotEntry]:
    return [make_entry(poll, a) for a in answers]


def test_single_choice_counts_and_shares_of_those_who_answered() -> None:
    result = count_entries(SURVEY, _entries(ANSWERS)).questions[0]

    assert isinstance(result, SingleChoiceResult)
    assert result.answered == 4
    assert [(o.option, o.count, o.share) for o in result.options] == [
        ("yes", 3, "0.750000"),
        ("no", 1, "0.250000"),
    ]


def test_multiple_choice_shares_are_per_respondent_and_may_add_above_one() -> None:
    result = count_entries(SURVEY, _entries(ANSWERS)).questions[1]

    assert isinstance(result, MultipleChoiceResult)
    assert result.answered == 3
    assert [(o.option, o.count, o.share) for o in result.options] == [
        ("walk", 2, "0.666667"),
        ("sport", 0, "0.000000"),
        ("kids", 0, "0.000000"),
        ("dogs", 2, "0.666667"),
    ]


def test_scale_mean_and_full_distribution() -> None:
    result = count_entries(SURVEY, _entries(ANSWERS)).questions[2]

    assert isinstance(result, ScaleResult)
    assert result.answered == 2
    assert result.mean == "3.500000"
    assert [(p.value, p.count) for p in result.distribution] == [
        (1, 0),
        (2, 1),
        (3, 0),
        (4, 0),
        (5, 1),
    ]


def test_ranking_borda_scores_mean_rank_and_firsts() -> None:
    result = count_entries(SURVEY, _entries(ANSWERS)).questions[3]

    assert isinstance(result, RankingResult)
    # 3 options: first place 2 points, second 1, third 0.
    assert [(o.option, o.borda, o.ranked, o.first, o.mean_rank) for o in result.options] == [
        ("light", 2 + 1 + 2 + 1, 4, 2, "1.500000"),
        ("benches", 1 + 2 + 0 + 0, 4, 1, "2.250000"),
        ("paths", 0 + 0 + 1 + 2, 4, 1, "2.250000"),
    ]


def test_top_k_ranking_gives_unranked_options_nothing() -> None:
    result = count_entries(SURVEY, _entries(ANSWERS)).questions[4]

    assert isinstance(result, RankingResult)
    assert result.answered == 1
    # 4 options: first place 3 points, second 2.
    assert [(o.option, o.borda, o.mean_rank) for o in result.options] == [
        ("fair", 3, "1.000000"),
        ("concert", 0, None),
        ("cinema", 2, "2.000000"),
        ("market", 0, None),
    ]


def test_free_text_is_only_counted_and_the_texts_are_listed_separately_sorted() -> None:
    entries = _entries(ANSWERS)

    result = count_entries(SURVEY, entries).questions[5]

    assert result == FreeTextResult(question="comment", answered=2)
    assert free_text_answers(SURVEY, entries) == {"comment": ("Add lights", "More bins")}


def test_the_number_of_ballots_is_counted() -> None:
    assert count_entries(SURVEY, _entries(ANSWERS)).ballots == 4
    assert count_entries(SURVEY, []).ballots == 0


def test_no_ballots_give_zero_counts_and_no_means() -> None:
    counted = count_entries(SURVEY, [])

    scale = counted.questions[2]
    assert isinstance(scale, ScaleResult)
    assert scale.mean is None
    single = counted.questions[0]
    assert isinstance(single, SingleChoiceResult)
    assert {o.share for o in single.options} == {"0.000000"}


def test_approval_votes_per_project_and_the_profile_for_allocation() -> None:
    poll = project_vote({"p1": 10, "p2": 20, "p3": 30}, budget=40)
    entries = _entries([{"pb": ["p2", "p1"]}, {"pb": ["p1"]}, {"pb": ["p1", "p2"]}], poll)

    counted = count_entries(poll, entries)

    result = counted.questions[0]
    assert isinstance(result, ProjectVoteResult)
    assert [(p.project, p.votes, p.supporters) for p in result.projects] == [
        ("p1", 3, 3),
        ("p2", 2, 2),
        ("p3", 0, 0),
    ]
    assert dict(counted.project_ballots) == {
        (("p1", 1), ("p2", 1)): 2,
        (("p1", 1),): 1,
    }


def test_cumulative_points_per_project() -> None:
    kind = {"kind": "cumulative", "points": 5, "max_per_project": 3}
    poll = project_vote({"p1": 10, "p2": 20}, budget=40, ballot_kind=kind)
    entries = _entries([{"pb": {"p1": 3, "p2": 2}}, {"pb": {"p2": 1}}], poll)

    result = count_entries(poll, entries).questions[0]

    assert isinstance(result, ProjectVoteResult)
    assert [(p.project, p.votes, p.supporters) for p in result.projects] == [
        ("p1", 3, 1),
        ("p2", 3, 2),
    ]


def test_counts_do_not_depend_on_the_order_of_the_ballots() -> None:
    entries = _entries(ANSWERS * 3)
    shuffled = entries[:]
    random.Random(7).shuffle(shuffled)

    assert count_entries(SURVEY, shuffled).questions == count_entries(SURVEY, entries).questions


@pytest.mark.parametrize(
    ("numerator", "denominator", "text"),
    [
        (1, 3, "0.333333"),
        (2, 3, "0.666667"),
        (1, 2_000_000, "0.000001"),  # exactly half a unit rounds up
        (1, 2_000_001, "0.000000"),
        (7, 1, "7.000000"),
        (-1, 3, "-0.333333"),
        (-1, 10_000_000, "0.000000"),
    ],
)
def test_decimal_is_exact_with_six_places_rounded_half_up(
    numerator: int, denominator: int, text: str
) -> None:
    assert decimal(numerator, denominator) == text
