"""Definitions the tally tests share, built from plain JSON-like dicts as a client would."""

from __future__ import annotations

from typing import Any

import msgspec

from shared.tally.definition import PollDefinition, decode_definition


def options(*ids: str) -> list[dict[str, str]]:
    return [{"id": i, "label": i.upper()} for i in ids]


def definition(
    questions: list[dict[str, Any]], *, kind: str = "survey", poll: str = "poll-1"
) -> PollDefinition:
    """Decode a definition the way the service does, so every test goes through validation."""
    document = {"id": poll, "kind": kind, "title": "A poll", "questions": questions}
    return decode_definition(msgspec.json.encode(document))


def project_vote(
    costs: dict[str, int],
    *,
    budget: int,
    rule: str = "greedy",
    ballot_kind: dict[str, Any] | None = None,
    poll: str = "poll-pb",
) -> PollDefinition:
    question = {
        "kind": "project_vote",
        "id": "pb",
        "text": "Which projects should the district fund?",
        "projects": [{"id": p, "title": f"Project {p}", "cost": c} for p, c in costs.items()],
        "budget": budget,
        "ballot_kind": ballot_kind or {"kind": "approval", "max_approvals": len(costs)},
        "rule": rule,
    }
    return definition([question], kind="project_vote", poll=poll)


SURVEY: list[dict[str, Any]] = [
    {
        "kind": "single_choice",
        "id": "resident",
        "text": "Do you live in the district?",
        "options": options("yes", "no"),
    },
    {
        "kind": "multiple_choice",
        "id": "use",
        "text": "What do you use the park for?",
        "options": options("walk", "sport", "kids", "dogs"),
        "min_choices": 1,
        "max_choices": 3,
        "show_if": {"question": "resident", "op": "equals", "option": "yes"},
    },
    {
        "kind": "scale",
        "id": "dogs_ok",
        "text": "How happy are you with the dog area?",
        "min": 1,
        "max": 5,
        "min_label": "Unhappy",
        "max_label": "Happy",
        "show_if": {"question": "use", "op": "includes", "option": "dogs"},
    },
    {
        "kind": "ranking",
        "id": "priority",
        "text": "Rank what to improve first",
        "options": options("light", "benches", "paths"),
    },
    {
        "kind": "ranking",
        "id": "top2",
        "text": "Your two favourite events",
        "options": options("fair", "concert", "cinema", "market"),
        "top": 2,
        "required": False,
    },
    {
        "kind": "free_text",
        "id": "comment",
        "text": "Anything else?",
        "max_length": 50,
        "required": False,
    },
]


def survey() -> PollDefinition:
    return definition(SURVEY)
