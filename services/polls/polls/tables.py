"""Persistence of polls: one row per poll, its frozen definition and, at the end, its tally."""

from __future__ import annotations

from piccolo.columns import Boolean, Bytea, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("Poll",)


class Poll(Table, tablename="poll"):
    """A survey or project vote run by one organisation."""

    id = Varchar(length=64, primary_key=True, help_text="Random id; also the ballot log's id.")
    organisation = Varchar(length=100, index=True, help_text="Slug of the organisation.")
    organisation_territory = Text(
        help_text="JSON list of the organisation's OKTMO codes when the poll was created."
    )
    title = Varchar(length=300)
    description = Text(default="")
    kind = Varchar(length=20, help_text="survey or project_vote.")
    definition = Bytea(help_text="The PollDefinition bytes; frozen once scheduled.")
    has_free_text = Boolean(default=False, help_text="Entries hold free text: board restricted.")
    eligibility = Text(help_text="JSON of shared.eligibility.Eligibility.")
    opens_at = Timestamptz()
    closes_at = Timestamptz()
    show_intermediate_results = Boolean(default=False)
    anonymity_batch = Integer(
        default=20,
        help_text="k: the fewest ballots any ballot is mixed with before it is published.",
    )
    status = Varchar(
        length=20, index=True, help_text="draft, scheduled, open, closed, tallied, cancelled."
    )
    cancel_reason = Text(null=True, default=None)
    created_by = Varchar(length=100, help_text="Pseudonymous subject of the creating official.")
    created_at = Timestamptz()
    updated_at = Timestamptz()
    results = Bytea(null=True, default=None, help_text="Canonical results bytes, once tallied.")
    certificate = Text(null=True, default=None, help_text="Signed tally certificate note.")
    answer_breakdown = Bytea(
        null=True,
        default=None,
        help_text="Answers by municipality and age band, counted at the tally with cells under "
        "10 already suppressed (results.answers); nothing finer is ever stored.",
    )
