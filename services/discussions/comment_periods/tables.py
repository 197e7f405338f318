"""Persistence of comment periods and the log of their extensions."""

from __future__ import annotations

import uuid

from piccolo.columns import UUID, Bytea, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table

__all__ = ("CommentPeriod", "CommentPeriodExtension")


class CommentPeriod(Table, tablename="comment_period"):
    """A comment period on one draft; its id is also the id of its Merkle log."""

    id = Varchar(length=64, primary_key=True, help_text="Random id, also the log id.")
    draft = UUID(index=True)
    organisation = Varchar(length=64, index=True)
    status = Varchar(
        length=20, help_text="draft, announced, open, closed, report_published.", index=True
    )
    starts_at = Timestamptz(help_text="Announced opening time.")
    ends_at = Timestamptz(help_text="Announced closing time (after extensions).")
    eligibility = Text(help_text="shared.eligibility.Eligibility as JSON.")
    territory = Text(help_text="OKTMO codes of the organisation, JSON array.")
    comment_count = Integer(default=0, help_text="Comments accepted; the row lock orders them.")
    created_at = Timestamptz()
    opened_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)
    definition = Bytea(null=True, default=None, help_text="Board definition once reported.")
    report = Bytea(null=True, default=None, help_text="Certified report JSON, as signed.")
    certificate = Text(null=True, default=None, help_text="Signed certificate note.")
    report_published_at = Timestamptz(null=True, default=None)


class CommentPeriodExtension(Table, tablename="comment_period_extension"):
    """Every extension of a period's end, with who decided it and why."""

    id = UUID(primary_key=True, default=uuid.uuid4)
    period = Varchar(length=64, index=True)
    previous_end = Timestamptz()
    new_end = Timestamptz()
    reason = Text()
    decided_by = Varchar(length=128, help_text="Pseudonymous subject of the official.")
    decided_at = Timestamptz()
