"""The report's rules over an in-memory store: when it may be published, and what it says
of each comment."""

from __future__ import annotations

import datetime as dt

import pytest

from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.errors import ConflictError, ForbiddenError, NotFoundError
from services.discussions.report.domain import annotation
from services.discussions.responses.schemas import EarlierResponseView
from tests.unit.discussions._fakes import NOW, ORG, World


async def test_a_rejected_comment_is_reported_by_its_reason_without_its_words() -> None:
    world = World.empty()
    comment_id = world.add_comment(world.add_period(CommentPeriodStatus.CLOSED), status="rejected")
    row = world.comments.rows[comment_id]
    row["reject_reason"] = "profanity"
    said = annotation(row, [])
    assert (said.status, said.reason) == ("rejected", "profanity")
    assert (said.text, said.proposed_wording, said.salt) == (None, None, None)
    assert said.entry_hash == row["entry_hash"].hex()


async def test_a_published_comment_is_reported_with_its_opening_and_earlier_responses() -> None:
    world = World.empty()
    comment_id = world.add_comment(
        world.add_period(CommentPeriodStatus.CLOSED), disposition="accepted", justification="Да"
    )
    row = world.comments.rows[comment_id]
    earlier = EarlierResponseView(
        disposition="noted",
        justification="Учтено",
        responded_at=NOW - dt.timedelta(days=2),
        corrected_at=NOW - dt.timedelta(hours=3),
    )
    said = annotation(row, [earlier])
    assert (said.text, said.salt) == (row["text"], row["salt"])
    assert said.responded_at == "2026-03-02T08:00:00Z"
    [corrected] = said.earlier_responses
    assert (corrected.disposition, corrected.corrected_at) == ("noted", "2026-03-02T06:00:00Z")


async def test_a_rating_is_stated_only_when_the_log_does_not_hold_it() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.CLOSED)
    before_logging = world.comments.rows[world.add_comment(period_id, disposition="noted")]
    before_logging["rating"] = 3
    logged = world.comments.rows[world.add_comment(period_id, disposition="noted")]
    logged.update(rating=5, rating_entry_hash=bytes(32))
    assert annotation(before_logging, []).rating == 3
    assert annotation(logged, []).rating is None


@pytest.mark.parametrize(
    ("status", "pending", "allowed", "error", "slug"),
    [
        (CommentPeriodStatus.OPEN, False, [ORG], ConflictError, "period-not-closed"),
        (CommentPeriodStatus.CLOSED, True, [ORG], ConflictError, "moderation-incomplete"),
        (CommentPeriodStatus.CLOSED, False, ["other"], ForbiddenError, "not-your-period"),
    ],
)
async def test_a_report_waits_for_the_close_and_the_end_of_moderation(
    status: CommentPeriodStatus,
    pending: bool,
    allowed: list[str],
    error: type[Exception],
    slug: str,
) -> None:
    world = World.empty()
    period_id = world.add_period(status)
    world.add_comment(period_id, status="pending" if pending else "published")
    with pytest.raises(error) as refused:
        await world.reports().publish(period_id, allowed=allowed, now=NOW)
    assert getattr(refused.value, "slug", None) == slug
    assert world.periods.rows[period_id]["status"] == status.value
    assert world.outbox.messages == []


async def test_no_report_is_read_before_it_is_published() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.CLOSED)
    world.periods.rows[period_id].update(report=None, certificate=None)
    with pytest.raises(NotFoundError) as refused:
        await world.reports().published(period_id)
    assert refused.value.slug == "report-not-published"


async def test_a_periods_log_is_described_only_once_it_has_opened() -> None:
    world = World.empty()
    announced = world.add_period(CommentPeriodStatus.ANNOUNCED)
    assert await world.reports().describe(announced) is None
    assert await world.reports().describe("cp-missing") is None
    running = world.add_period(CommentPeriodStatus.OPEN)
    world.periods.rows[running]["report"] = None
    described = await world.reports().describe(running)
    assert described is not None
    assert described.kind == "comment-period"
    assert described.certificate is None
