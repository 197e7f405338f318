"""The results of a poll, and their recomputation from a board.

:func:`compute_results` is what the polls service runs at close on the ballot log;
:func:`recompute_from_board` is what the auditor's tool plugs in: it starts from bytes only, so
an auditor needs nothing but the board to get the same canonical results bytes, which the
tally certificate signs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Literal

from shared.canonical import canonical_bytes
from shared.tally.allocation import Allocation, allocate
from shared.tally.ballot import BallotEntry, BallotError, EntryError, decode_entry, validate_entry
from shared.tally.count import QuestionResult, count_entries
from shared.tally.definition import (
    FORMAT_VERSION,
    Id,
    PollDefinition,
    ProjectVote,
    TallyStruct,
    decode_definition,
)

__all__ = (
    "RejectedEntry",
    "Results",
    "compute_results",
    "recompute_from_board",
    "results_bytes",
)


class RejectedEntry(TallyStruct, frozen=True, kw_only=True):
    """An entry of the board that was not counted, and why."""

    index: int
    """Its leaf index on the board (0-based)."""
    reason: str


class Results(TallyStruct, frozen=True, kw_only=True):
    """The official results of a poll. Field order is the wire order; append fields only."""

    v: Literal[1] = FORMAT_VERSION
    poll: Id
    ballots: int
    """Entries counted."""
    rejected: tuple[RejectedEntry, ...] = ()
    """Entries on the board that were not counted; empty on an honest board."""
    questions: tuple[QuestionResult, ...]
    allocation: Allocation | None
    """The funded projects of a project vote; ``None`` for a survey."""


def compute_results(
    definition: PollDefinition,
    entries: Iterable[BallotEntry],
    *,
    rejected: Iterable[RejectedEntry] = (),
) -> Results:
    """Count validated entries and run the project vote's allocation rule.

    ``entries`` is read once, so it may be a stream. ``rejected`` is read after the entries,
    so a generator that filters the entries may fill it as it goes.
    """
    counted = count_entries(definition, entries)
    allocation = None
    for question in definition.questions:
        if isinstance(question, ProjectVote):
            allocation = allocate(question, counted.project_ballots)
    return Results(
        poll=definition.id,
        ballots=counted.ballots,
        rejected=tuple(rejected),
        questions=counted.questions,
        allocation=allocation,
    )


def results_bytes(results: Results) -> bytes:
    """The canonical bytes of the results, the ones a tally certificate signs."""
    return canonical_bytes(results)


def recompute_from_board(definition_bytes: bytes, entries: Iterable[bytes]) -> bytes:
    """Recompute the canonical results bytes from a board's definition and entry bytes.

    Every entry is decoded strictly and validated against the definition; an entry that fails,
    or that repeats an earlier entry's nonce (a replayed ballot), is listed in
    ``Results.rejected`` with its index and never silently dropped. A definition that does
    not decode raises :class:`shared.tally.definition.DefinitionError`: without it nothing can
    be counted.
    """
    definition = decode_definition(definition_bytes)
    rejected: list[RejectedEntry] = []
    results = compute_results(
        definition, _accepted(definition, entries, rejected), rejected=rejected
    )
    return results_bytes(results)


def _accepted(
    definition: PollDefinition, entries: Iterable[bytes], rejected: list[RejectedEntry]
) -> Iterator[BallotEntry]:
    seen: dict[str, int] = {}
    for index, data in enumerate(entries):
        try:
            entry = decode_entry(data)
            validate_entry(definition, entry)
        except (EntryError, BallotError) as exc:
            rejected.append(RejectedEntry(index=index, reason=str(exc)))
            continue
        first = seen.setdefault(entry.nonce, index)
        if first != index:
            rejected.append(
                RejectedEntry(index=index, reason=f"duplicate: same nonce as entry {first}")
            )
            continue
        yield entry
