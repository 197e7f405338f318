"""Submitting comments over an in-memory store: what a comment must be, when a period takes
it, and a retry that finds its first receipt."""

from __future__ import annotations

import datetime as dt

import msgspec
import pytest

from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.comments.domain import Submission
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError
from shared.comment_period.entry import Stance
from shared.eligibility import Eligibility
from tests.unit.discussions._fakes import NOW, World, person


def _submission(**changes: object) -> Submission:
    fields: dict[str, object] = {
        "author": person(),
        "section": "p1",
        "stance": Stance.OBJECT,
        "text": "Сделайте тротуар шире.",
    }
    return Submission(**{**fields, **changes})  # type: ignore[arg-type]


async def test_an_accepted_comment_enters_the_log_and_waits_for_moderation() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.OPEN)
    [receipt] = await world.comments_service().submit_many(period_id, [_submission()], NOW)
    [(log_id, _entry)] = world.logs.appended
    assert log_id == period_id
    row = world.comments.rows[receipt.id]
    assert (row["status"], row["section"], row["author"]) == ("pending", "p1", "citizen-1")
    assert row["entry_hash"].hex() == receipt.entry_hash
    assert receipt.tracking_code == row["tracking_code"]
    assert world.periods.rows[period_id]["comment_count"] == 1


@pytest.mark.parametrize(
    ("status", "ends_at"),
    [
        (CommentPeriodStatus.ANNOUNCED, NOW + dt.timedelta(days=1)),
        (CommentPeriodStatus.CLOSED, NOW - dt.timedelta(days=1)),
        (CommentPeriodStatus.OPEN, NOW),
    ],
)
async def test_a_period_takes_comments_only_while_open(
    status: CommentPeriodStatus, ends_at: dt.datetime
) -> None:
    world = World.empty()
    period_id = world.add_period(status, ends_at=ends_at)
    with pytest.raises(ConflictError) as refused:
        await world.comments_service().submit(period_id, _submission(), NOW)
    assert refused.value.slug == "period-not-open"
    assert world.logs.appended == []
    assert world.comments.rows == {}


@pytest.mark.parametrize(
    ("changes", "slug"),
    [
        ({"section": "p9"}, "unknown-section"),
        ({"text": "   "}, "bad-text"),
        ({"text": "а" * 5001}, "bad-text"),
        ({"stance": Stance.PROPOSE_WORDING}, "wording-required"),
    ],
)
async def test_a_comment_must_name_a_real_section_and_say_something(
    changes: dict[str, object], slug: str
) -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.OPEN)
    with pytest.raises(InvalidError) as refused:
        await world.comments_service().submit(period_id, _submission(**changes), NOW)
    assert refused.value.slug == slug
    assert world.logs.appended == []


async def test_a_closed_roll_takes_comments_only_from_the_people_on_it() -> None:
    world = World.empty()
    roll = msgspec.json.encode(Eligibility(roll=("citizen-2",))).decode()
    period_id = world.add_period(CommentPeriodStatus.OPEN, eligibility=roll)
    with pytest.raises(ForbiddenError) as refused:
        await world.comments_service().submit(period_id, _submission(), NOW)
    assert refused.value.slug == "not-eligible"
    accepted = await world.comments_service().submit(
        period_id, _submission(author=person("citizen-2")), NOW
    )
    assert world.comments.rows[accepted.id]["author"] == "citizen-2"


async def test_a_retry_with_the_same_key_returns_the_first_receipt() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.OPEN)
    comments = world.comments_service()
    first = await comments.submit(period_id, _submission(idempotency_key="k-1"), NOW)
    again = await comments.submit(
        period_id, _submission(idempotency_key="k-1"), NOW + dt.timedelta(seconds=5)
    )
    assert (again.id, again.receipt, again.accepted_at) == (first.id, first.receipt, NOW)
    assert len(world.comments.rows) == 1
    other = await comments.submit(
        period_id, _submission(author=person("citizen-2"), idempotency_key="k-1"), NOW
    )
    assert other.id != first.id
