"""Moderation's rules over an in-memory store: who decides, with what reason, once."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

import pytest

from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError
from services.discussions.moderation.schemas import Decision, RejectReason
from tests.unit.discussions._fakes import NOW, ORG, World


async def _decide(
    world: World,
    comment_id: uuid.UUID,
    decision: Decision,
    reason: RejectReason | None = None,
    *,
    note: str = "",
    allowed: Sequence[str] = (ORG,),
) -> str:
    return await world.moderation().decide(
        comment_id, allowed=allowed, decision=decision, reason=reason, note=note, now=NOW
    )


def _pending(world: World, status: CommentPeriodStatus = CommentPeriodStatus.OPEN) -> uuid.UUID:
    return world.add_comment(world.add_period(status), status="pending", author="citizen-7")


@pytest.mark.parametrize(
    ("decision", "reason", "slug"),
    [
        (Decision.REJECT, None, "reason-required"),
        (Decision.PUBLISH, RejectReason.SPAM, "no-reason"),
    ],
)
async def test_a_reason_goes_with_a_rejection_and_only_with_one(
    decision: Decision, reason: RejectReason | None, slug: str
) -> None:
    world = World.empty()
    comment_id = _pending(world)
    with pytest.raises(InvalidError) as refused:
        await _decide(world, comment_id, decision, reason)
    assert refused.value.slug == slug
    assert world.comments.rows[comment_id]["status"] == "pending"


async def test_a_rejection_records_its_reason_and_tells_the_author() -> None:
    world = World.empty()
    comment_id = _pending(world)
    status = await _decide(
        world, comment_id, Decision.REJECT, RejectReason.PERSONAL_DATA, note="телефон в тексте"
    )
    assert status == "rejected"
    row = world.comments.rows[comment_id]
    assert (row["reject_reason"], row["moderator_note"]) == ("personal_data", "телефон в тексте")
    [(topic, payload)] = world.outbox.messages
    assert topic == "comment.moderated"
    assert payload["author"] == "citizen-7"
    assert (payload["status"], payload["reason"]) == ("rejected", "personal_data")


async def test_a_comment_is_moderated_once() -> None:
    world = World.empty()
    comment_id = _pending(world)
    await _decide(world, comment_id, Decision.PUBLISH)
    with pytest.raises(ConflictError) as refused:
        await _decide(world, comment_id, Decision.REJECT, RejectReason.SPAM)
    assert refused.value.slug == "already-moderated"
    assert world.comments.rows[comment_id]["status"] == "published"
    assert len(world.outbox.messages) == 1


async def test_only_the_periods_organisation_moderates_it() -> None:
    world = World.empty()
    comment_id = _pending(world)
    with pytest.raises(ForbiddenError) as refused:
        await _decide(world, comment_id, Decision.PUBLISH, allowed=["other"])
    assert refused.value.slug == "not-your-comment-period"
    period_id = str(world.comments.rows[comment_id]["period"])
    with pytest.raises(ForbiddenError):
        await world.moderation().queue(period_id, allowed=["other"], cursor=None, limit=10)


async def test_nothing_is_moderated_once_the_report_is_published() -> None:
    world = World.empty()
    comment_id = _pending(world, CommentPeriodStatus.REPORT_PUBLISHED)
    with pytest.raises(ConflictError) as refused:
        await _decide(world, comment_id, Decision.PUBLISH)
    assert refused.value.slug == "report-published"
    assert world.outbox.messages == []
