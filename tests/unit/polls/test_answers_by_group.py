"""Counting answers by group: what each cell counts per question kind, and a larger k asked
for later hides more of the stored table, never less."""

from __future__ import annotations

from services.polls.results.answers import Voter, count_answers, suppressed_further
from shared.tally.ballot import BallotEntry
from shared.tally.definition import (
    Approval,
    FreeText,
    MultipleChoice,
    Option,
    PollDefinition,
    Project,
    ProjectVote,
    Ranking,
    Scale,
    SingleChoice,
)

OPTIONS = (Option(id="a", label="A"), Option(id="b", label="B"))
DEFINITION = PollDefinition(
    id="p",
    kind="survey",
    title="T",
    questions=(
        SingleChoice(id="one", text="?", options=OPTIONS),
        MultipleChoice(id="many", text="?", options=OPTIONS, required=False),
        Ranking(id="rank", text="?", options=OPTIONS),
        Scale(id="scale", text="?", min=1, max=3),
        FreeText(id="text", text="?", required=False),
        ProjectVote(
            id="pb",
            text="?",
            projects=(Project(id="x", title="X", cost=1), Project(id="y", title="Y", cost=1)),
            budget=2,
            ballot_kind=Approval(max_approvals=2),
            rule="greedy",
        ),
    ),
)


PROFILES = (
    {"one": "a", "many": ["a"], "rank": ["a", "b"], "scale": 1, "pb": ["x"]},
    {"one": "b", "many": ["b"], "rank": ["b", "a"], "scale": 2, "pb": ["y"]},
    {"one": "a", "many": ["a", "b"], "rank": ["a", "b"], "scale": 3, "pb": ["x", "y"]},
)


def _voter(town: str, band: str, answers: dict[str, object]) -> Voter:
    entry = BallotEntry(
        v=1,
        poll="p",
        nonce="0" * 32,
        answers={**answers, "text": "hi"},  # type: ignore[dict-item]
    )
    return Voter(municipality=town, age_band=band, entry=entry)


def _cells(breakdown: object, question: str, dimension: str) -> dict[tuple[str, str], object]:
    table = next(
        t
        for t in breakdown.tables  # type: ignore[attr-defined]
        if t.question == question and t.dimension == dimension
    )
    return {
        (row.key, answer): n
        for row in table.rows
        for answer, n in zip(table.answers, row.counts, strict=True)
    }


def test_each_kind_counts_voters_per_answer_and_free_text_is_left_out() -> None:
    voters = [
        _voter(town, band, profile)
        for town, band in (("m1", "25-34"), ("m2", "35-44"))
        for profile in PROFILES
        for _ in range(12)
    ]
    breakdown = count_answers(DEFINITION, "p", voters, 10)
    assert breakdown.voters == 72
    assert {t.question for t in breakdown.tables} == {"one", "many", "rank", "scale", "pb"}
    for dimension, groups in (("municipality", ("m1", "m2")), ("age_band", ("25-34", "35-44"))):
        for group in groups:
            one = _cells(breakdown, "one", dimension)
            assert (one[group, "a"], one[group, "b"]) == (24, 12)
            many = _cells(breakdown, "many", dimension)  # each voter once per option chosen
            assert (many[group, "a"], many[group, "b"]) == (24, 24)
            first = _cells(breakdown, "rank", dimension)  # the option ranked first
            assert (first[group, "a"], first[group, "b"]) == (24, 12)
            scale = _cells(breakdown, "scale", dimension)
            assert [scale[group, v] for v in ("1", "2", "3")] == [12, 12, 12]
            pb = _cells(breakdown, "pb", dimension)  # supporters of each project
            assert (pb[group, "x"], pb[group, "y"]) == (24, 24)


def test_a_larger_k_later_hides_more_and_never_shows_what_was_hidden() -> None:
    voters = [_voter("m1", "25-34", PROFILES[0]) for _ in range(12)]
    voters += [_voter("m2", "25-34", PROFILES[1]) for _ in range(30)]
    voters += [_voter("m3", "35-44", PROFILES[2]) for _ in range(3)]
    stored = count_answers(DEFINITION, "p", voters, 10)
    stricter = suppressed_further(stored, 15)
    assert stricter.k == 15
    for before, after in zip(stored.tables, stricter.tables, strict=True):
        for row_before, row_after in zip(before.rows, after.rows, strict=True):
            for n_before, n_after in zip(row_before.counts, row_after.counts, strict=True):
                assert n_after is None or n_after >= 15
                if n_before is None:
                    assert n_after is None
    assert suppressed_further(stored, 10) is stored
