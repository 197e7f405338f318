"""Wire formats of polls: what officials send and what everyone reads."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

import msgspec
from msgspec import UNSET, Meta, UnsetType

from services.polls.polls.store import PollRecord
from shared.eligibility import Eligibility
from shared.tally.definition import PollDefinition, Question, Rule
from shared.web.schemas import Input, Output

__all__ = (
    "CancelRequest",
    "ImportRequest",
    "ImportedPoll",
    "PollCreate",
    "PollPage",
    "PollUpdate",
    "PollView",
    "poll_view",
)

Slug = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{0,99}$")]
Title = Annotated[str, Meta(min_length=1, max_length=300)]
Description = Annotated[str, Meta(max_length=10_000)]
Questions = Annotated[tuple[Question, ...], Meta(min_length=1, max_length=200)]
PollKind = Literal["survey", "project_vote"]
Status = Literal["draft", "scheduled", "open", "closed", "tallied", "cancelled"]
AnonymityBatch = Annotated[int, Meta(ge=0, le=1_000_000)]
"""Checked by the domain (at least 10), which says why in its 422."""


class PollCreate(Input, kw_only=True):
    """A new poll; it starts as a draft of the given organisation."""

    organisation: Slug
    title: Title
    description: Description = ""
    kind: PollKind
    questions: Questions
    eligibility: Eligibility = msgspec.field(default_factory=Eligibility)
    opens_at: dt.datetime
    closes_at: dt.datetime
    show_intermediate_results: bool = False
    anonymity_batch: AnonymityBatch = 20
    """k: ballots enter the public log in mixed batches of at least k ballots (fewer only if
    the whole poll has fewer). At least 10."""


class PollUpdate(Input, kw_only=True):
    """Fields to change; absent ones stay. Only ``description`` and
    ``show_intermediate_results`` may change once the poll is scheduled."""

    title: Title | UnsetType = UNSET
    description: Description | UnsetType = UNSET
    kind: PollKind | UnsetType = UNSET
    questions: Questions | UnsetType = UNSET
    eligibility: Eligibility | UnsetType = UNSET
    opens_at: dt.datetime | UnsetType = UNSET
    closes_at: dt.datetime | UnsetType = UNSET
    show_intermediate_results: bool | UnsetType = UNSET
    anonymity_batch: AnonymityBatch | UnsetType = UNSET


class CancelRequest(Input, kw_only=True):
    reason: Annotated[str, Meta(min_length=3, max_length=2000)]
    """Published with the poll."""


class ImportRequest(Input, kw_only=True):
    """A draft project vote from a pabulib ``.pb`` file (its votes are not cast)."""

    organisation: Slug
    pb: Annotated[str, Meta(min_length=1, max_length=5_000_000)]
    """The text of the .pb file."""
    title: Title | None = None
    rule: Rule | None = None
    """Allocation rule; default: the file's, else greedy."""
    description: Description = ""
    eligibility: Eligibility = msgspec.field(default_factory=Eligibility)
    opens_at: dt.datetime
    closes_at: dt.datetime
    show_intermediate_results: bool = False
    anonymity_batch: AnonymityBatch = 20


class PollView(Output, kw_only=True):
    id: str
    organisation: str
    title: str
    description: str
    kind: str
    status: Status
    cancel_reason: str | None
    opens_at: dt.datetime
    closes_at: dt.datetime
    show_intermediate_results: bool
    anonymity_batch: int
    """k: each ballot is published in a mixed batch of at least k ballots."""
    eligibility: Eligibility
    definition: PollDefinition
    """The frozen questions every ballot answers (and the board publishes)."""
    created_at: dt.datetime
    updated_at: dt.datetime
    log: str
    """Where the poll's ballot log (checkpoints, proofs, board) is served."""
    closed_roll: bool = False
    """Only the people on a closed roll may vote. The roll itself (``eligibility.roll``) is
    shown only to the officials who manage the poll; everyone else gets null there."""


class ImportedPoll(Output, kw_only=True):
    poll: PollView
    votes_in_file: int
    """Votes the .pb file carried; they were not cast."""


class PollPage(Output, kw_only=True):
    items: list[PollView]
    total: int
    offset: int
    limit: int
    next_offset: int | None


def poll_view(poll: PollRecord, *, show_roll: bool) -> PollView:
    """The poll as sent; ``show_roll`` only for the officials who manage it: a closed roll
    says who may vote, which is nobody else's business."""
    eligibility = poll.eligibility
    if not show_roll and eligibility.roll is not None:
        eligibility = msgspec.structs.replace(eligibility, roll=None)
    return PollView(
        id=poll.id,
        organisation=poll.organisation,
        title=poll.title,
        description=poll.description,
        kind=poll.kind,
        status=poll.status,  # type: ignore[arg-type]
        cancel_reason=poll.cancel_reason,
        opens_at=poll.opens_at,
        closes_at=poll.closes_at,
        show_intermediate_results=poll.show_intermediate_results,
        anonymity_batch=poll.anonymity_batch,
        eligibility=eligibility,
        definition=poll.definition,
        created_at=poll.created_at,
        updated_at=poll.updated_at,
        log=f"/api/v1/logs/{poll.id}",
        closed_roll=poll.eligibility.roll is not None,
    )
