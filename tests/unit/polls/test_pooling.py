"""Pooled ballots: sealed, one length per poll whatever the answers, bound to their row."""

from __future__ import annotations

import uuid
from typing import Any

import msgspec
import pytest

from services.polls.casting.pooling import code_lookup, open_pooled, padded_length, seal_pooled
from services.polls.service_secret import ServiceSecret
from shared.tally.ballot import encode_entry, make_entry
from shared.tally.definition import PollDefinition, decode_definition

_POLL = "x" * 64
_OPTIONS = [{"id": f"o{i:02d}" + "z" * 61, "label": "L"} for i in range(100)]
_PROJECTS = [{"id": f"p{i:03d}" + "z" * 60, "title": "T", "cost": 1} for i in range(1000)]
SECRET = ServiceSecret(bytes(range(32)))


def _poll(kind: str, questions: list[dict[str, Any]]) -> PollDefinition:
    body = {"v": 1, "id": _POLL, "kind": kind, "title": "Largest", "questions": questions}
    return decode_definition(msgspec.json.encode(body))


SURVEY = _poll(
    "survey",
    [
        {"kind": "single_choice", "id": "a" * 64, "text": "?", "options": _OPTIONS},
        {"kind": "multiple_choice", "id": "b" * 64, "text": "?", "options": _OPTIONS},
        {"kind": "ranking", "id": "c" * 64, "text": "?", "options": _OPTIONS},
        {"kind": "scale", "id": "d" * 64, "text": "?", "min": -1000, "max": -900},
        {
            "kind": "free_text",
            "id": "e" * 64,
            "text": "?",
            "max_length": 2000,
            "required": False,
        },
    ],
)
PROJECT_VOTE = _poll(
    "project_vote",
    [
        {
            "kind": "project_vote",
            "id": "f" * 64,
            "text": "?",
            "projects": _PROJECTS,
            "budget": 10**15,
            "ballot_kind": {"kind": "cumulative", "points": 1000, "max_per_project": 1000},
            "rule": "greedy",
        }
    ],
)
IDS = [o["id"] for o in _OPTIONS]


def _entry(definition: PollDefinition, answers: dict[str, Any]) -> bytes:
    return encode_entry(make_entry(definition, answers))


def test_the_padded_length_holds_the_largest_valid_ballot_of_every_kind() -> None:
    # Control characters take the most room in canonical JSON: "\u0001" is six bytes.
    largest_survey = {
        "a" * 64: IDS[-1],
        "b" * 64: IDS,
        "c" * 64: IDS,
        "d" * 64: -1000,
        "e" * 64: "x" + "\x01" * 1999,
    }
    assert len(_entry(SURVEY, largest_survey)) < padded_length(SURVEY)
    spread = {p["id"]: 1 for p in _PROJECTS}  # 1000 projects, one point each
    assert len(_entry(PROJECT_VOTE, {"f" * 64: spread})) < padded_length(PROJECT_VOTE)
    heavy = {_PROJECTS[0]["id"]: 1000}
    assert len(_entry(PROJECT_VOTE, {"f" * 64: heavy})) < padded_length(PROJECT_VOTE)


def test_every_sealed_ballot_of_a_poll_has_the_same_length() -> None:
    length = padded_length(SURVEY)
    small = _entry(SURVEY, {"a" * 64: IDS[0], "b" * 64: [IDS[0]], "c" * 64: IDS, "d" * 64: -950})
    large = _entry(
        SURVEY,
        {"a" * 64: IDS[0], "b" * 64: IDS, "c" * 64: IDS, "d" * 64: -950, "e" * 64: "й" * 2000},
    )
    sealed = [seal_pooled(SECRET, _POLL, uuid.uuid4(), e, length) for e in (small, large)]
    assert len(sealed[0]) == len(sealed[1]) == length + 29


def test_a_sealed_ballot_opens_only_in_its_own_row_and_poll() -> None:
    row = uuid.uuid4()
    sealed = seal_pooled(SECRET, "poll-1", row, b'{"v":1}', 256)
    assert open_pooled(SECRET, "poll-1", row, sealed) == b'{"v":1}'
    with pytest.raises(ValueError, match="does not open"):
        open_pooled(SECRET, "poll-1", uuid.uuid4(), sealed)
    with pytest.raises(ValueError, match="does not open"):
        open_pooled(SECRET, "poll-2", row, sealed)
    with pytest.raises(ValueError, match="does not open"):
        open_pooled(ServiceSecret(bytes(32)), "poll-1", row, sealed)
    flipped = sealed[:-1] + bytes([sealed[-1] ^ 1])
    with pytest.raises(ValueError, match="does not open"):
        open_pooled(SECRET, "poll-1", row, flipped)


def test_an_entry_longer_than_the_poll_allows_is_refused_rather_than_sealed_unpadded() -> None:
    with pytest.raises(ValueError, match="exceeds"):
        seal_pooled(SECRET, "poll-1", uuid.uuid4(), b"x" * 300, 256)


def test_the_tracking_code_lookup_is_keyed_by_the_secret_and_the_poll() -> None:
    code = "ABCD-EFGH-JK"
    assert code_lookup(SECRET, "p", code) == code_lookup(SECRET, "p", code)
    assert code_lookup(SECRET, "p", code) != code_lookup(SECRET, "q", code)
    assert code_lookup(SECRET, "p", code) != code_lookup(ServiceSecret(bytes(32)), "p", code)
    assert len(code_lookup(SECRET, "p", code)) == 16
