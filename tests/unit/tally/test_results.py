from __future__ import annotations

import random

import msgspec
import pytest

from shared.canonical import canonical_bytes
from shared.tally.ballot import BallotEntry, encode_entry, make_entry
from shared.tally.definition import DefinitionError, encode_definition
from shared.tally.results import (
    RejectedEntry,
    Results,
    compute_results,
    recompute_from_board,
    results_bytes,
)
from tests.unit.tally._polls import project_vote, survey

SURVEY = survey()
PB = project_vote({"a1": 30, "a2": 30, "a3": 30, "b1": 30}, budget=90, rule="equal_shares")


def _board() -> list[bytes]:
    answers = [["a1", "a2", "a3"]] * 6 + [["b1"]] * 4
    return [encode_entry(make_entry(PB, {"pb": a})) for a in answers]


def test_a_survey_has_results_per_question_and_no_allocation() -> None:
    entries = [make_entry(SURVEY, {"resident": "no", "priority": ["light", "paths", "benches"]})]

    results = compute_results(SURVEY, entries)

    assert results.poll == "poll-1"
    assert results.ballots == 1
    assert [q.question for q in results.questions] == [q.id for q in SURVEY.questions]
    assert results.allocation is None
    assert results.rejected == ()


def test_a_project_vote_has_its_allocation() -> None:
    results = msgspec.json.decode(
        recompute_from_board(encode_definition(PB), _board()), type=Results
    )

    assert results.ballots == 10
    assert results.allocation is not None
    assert results.allocation.funded == ("a1", "b1", "a2")


def test_results_bytes_are_the_canonical_bytes_and_decode_back() -> None:
    results = compute_results(PB, [make_entry(PB, {"pb": ["a1"]})])

    data = results_bytes(results)

    assert data == canonical_bytes(results)
    assert msgspec.json.decode(data, type=Results) == results
    assert data.startswith(b'{"v":1,"poll":"poll-pb","ballots":1,"rejected":[],"questions":[')
    assert b" " not in data.replace(b"Project ", b"")


def test_recomputing_from_the_board_gives_the_same_bytes_as_the_service() -> None:
    board = _board()
    entries = [msgspec.json.decode(b, type=BallotEntry) for b in board]

    assert recompute_from_board(encode_definition(PB), board) == results_bytes(
        compute_results(PB, entries)
    )


def test_recomputing_accepts_a_stream_of_entries() -> None:
    board = _board()

    assert recompute_from_board(encode_definition(PB), iter(board)) == recompute_from_board(
        encode_definition(PB), board
    )


def test_results_do_not_depend_on_the_order_of_the_board() -> None:
    board = _board()
    shuffled = board[:]
    random.Random(1).shuffle(shuffled)

    assert recompute_from_board(encode_definition(PB), shuffled) == recompute_from_board(
        encode_definition(PB), board
    )


def test_invalid_entries_are_rejected_with_their_index_never_dropped_silently() -> None:
    board = _board()
    other_poll = project_vote({"a1": 30}, budget=90, poll="poll-other")
    bad = [
        b"{garbage",
        board[0].replace(b'"v":1,', b'"v":1, '),
        encode_entry(make_entry(other_poll, {"pb": ["a1"]})),
        encode_entry(make_entry(PB, {"pb": ["a1"]})).replace(b'["a1"]', b'["zz"]'),
        board[3],
    ]
    tampered = board + bad

    results = msgspec.json.decode(
        recompute_from_board(encode_definition(PB), tampered), type=Results
    )

    assert results.ballots == 10
    assert [r.index for r in results.rejected] == [10, 11, 12, 13, 14]
    reasons = [r.reason for r in results.rejected]
    assert reasons[0].startswith("malformed")
    assert reasons[1].startswith("non_canonical")
    assert "not 'poll-pb'" in reasons[2]
    assert "answers.pb.zz: no such project" in reasons[3]
    assert reasons[4] == "duplicate: same nonce as entry 3"


def test_rejected_entries_are_part_of_the_signed_results() -> None:
    results = compute_results(PB, [], rejected=[RejectedEntry(index=4, reason="malformed: x")])

    assert b'"rejected":[{"index":4,"reason":"malformed: x"}]' in results_bytes(results)


def test_a_board_whose_definition_is_invalid_cannot_be_recomputed() -> None:
    with pytest.raises(DefinitionError):
        recompute_from_board(b'{"id":"x"}', _board())
