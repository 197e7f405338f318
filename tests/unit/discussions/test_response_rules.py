"""Responses' rules over an in-memory store: answer once, correct keeping the earlier text,
rate once into the log, all until the report is published."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError
from services.discussions.responses.schemas import Disposition
from tests.unit.discussions._fakes import NOW, ORG, World


async def _respond(
    world: World, comment_id: uuid.UUID, disposition: Disposition, justification: str
) -> None:
    await world.responses().respond(
        comment_id, allowed=[ORG], disposition=disposition, justification=justification, now=NOW
    )


async def _correct(
    world: World, comment_id: uuid.UUID, disposition: Disposition, justification: str
) -> None:
    await world.responses().correct(
        comment_id, allowed=[ORG], disposition=disposition, justification=justification, now=NOW
    )


async def test_only_a_published_comment_is_answered() -> None:
    world = World.empty()
    comment_id = world.add_comment(world.add_period(CommentPeriodStatus.OPEN), status="rejected")
    with pytest.raises(ConflictError) as refused:
        await _respond(world, comment_id, Disposition.NOTED, "Учтено")
    assert refused.value.slug == "comment-not-published"


async def test_a_response_needs_a_justification() -> None:
    world = World.empty()
    comment_id = world.add_comment(world.add_period(CommentPeriodStatus.CLOSED))
    with pytest.raises(InvalidError) as refused:
        await _respond(world, comment_id, Disposition.NOTED, "  ")
    assert refused.value.slug == "justification-required"


async def test_a_comment_is_answered_once_and_its_author_told() -> None:
    world = World.empty()
    comment_id = world.add_comment(world.add_period(CommentPeriodStatus.CLOSED), author="citizen-3")
    await _respond(world, comment_id, Disposition.ACCEPTED, "Расширим")
    with pytest.raises(ConflictError) as refused:
        await _respond(world, comment_id, Disposition.REJECTED, "Передумали")
    assert refused.value.slug == "already-responded"
    row = world.comments.rows[comment_id]
    assert (row["disposition"], row["justification"]) == ("accepted", "Расширим")
    [(topic, payload)] = world.outbox.messages
    assert (topic, payload["author"], payload["disposition"]) == (
        "comment.responded",
        "citizen-3",
        "accepted",
    )


async def test_a_correction_keeps_the_earlier_response_and_tells_the_author_both() -> None:
    world = World.empty()
    comment_id = world.add_comment(
        world.add_period(CommentPeriodStatus.CLOSED),
        disposition="noted",
        justification="Принято к сведению",
    )
    answered_at = world.comments.rows[comment_id]["responded_at"]
    await _correct(world, comment_id, Disposition.PARTIALLY_ACCEPTED, "Частично учтено в п. 2")
    row = world.comments.rows[comment_id]
    assert (row["disposition"], row["responded_at"]) == ("partially_accepted", NOW)
    [earlier] = world.corrections.kept[comment_id]
    assert (earlier.disposition, earlier.justification) == ("noted", "Принято к сведению")
    assert (earlier.responded_at, earlier.corrected_at) == (answered_at, NOW)
    [(topic, payload)] = world.outbox.messages
    assert topic == "comment.response-corrected"
    assert (payload["earlier_disposition"], payload["disposition"]) == (
        "noted",
        "partially_accepted",
    )


async def test_a_correction_must_change_something_and_needs_a_response_to_correct() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.CLOSED)
    unanswered = world.add_comment(period_id)
    answered = world.add_comment(period_id, disposition="noted", justification="Учтено")
    with pytest.raises(ConflictError) as nothing:
        await _correct(world, unanswered, Disposition.NOTED, "x")
    assert nothing.value.slug == "no-response-yet"
    with pytest.raises(InvalidError) as same:
        await _correct(world, answered, Disposition.NOTED, "Учтено")
    assert same.value.slug == "correction-unchanged"
    assert world.corrections.kept == {}


async def test_a_published_report_keeps_its_responses() -> None:
    world = World.empty()
    comment_id = world.add_comment(
        world.add_period(CommentPeriodStatus.REPORT_PUBLISHED),
        disposition="noted",
        justification="Учтено",
    )
    with pytest.raises(ConflictError) as refused:
        await _correct(world, comment_id, Disposition.ACCEPTED, "Да")
    assert refused.value.slug == "report-published"


async def test_the_author_rates_an_answered_comment_once_into_the_log() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.CLOSED)
    comment_id = world.add_comment(period_id, disposition="accepted", justification="Да")
    responses = world.responses()
    await responses.rate(comment_id, author="citizen-1", rating=4, now=NOW)
    [(log_id, _entry)] = world.logs.appended
    assert log_id == period_id
    row = world.comments.rows[comment_id]
    assert row["rating"] == 4
    assert row["rating_entry_hash"] == (1).to_bytes(32, "big")
    with pytest.raises(ConflictError) as again:
        await responses.rate(comment_id, author="citizen-1", rating=5, now=NOW)
    assert again.value.slug == "already-rated"
    assert len(world.logs.appended) == 1


@pytest.mark.parametrize(
    ("status", "disposition", "author", "rating", "error", "slug"),
    [
        (
            CommentPeriodStatus.CLOSED,
            "accepted",
            "citizen-2",
            4,
            ForbiddenError,
            "not-your-comment",
        ),
        (CommentPeriodStatus.CLOSED, "", "citizen-1", 4, ConflictError, "no-response-yet"),
        (
            CommentPeriodStatus.REPORT_PUBLISHED,
            "accepted",
            "citizen-1",
            4,
            ConflictError,
            "rating-after-report",
        ),
        (CommentPeriodStatus.CLOSED, "accepted", "citizen-1", 6, InvalidError, "bad-rating"),
    ],
)
async def test_a_rating_is_refused_when_the_rules_say_so(
    status: CommentPeriodStatus,
    disposition: str,
    author: str,
    rating: int,
    error: type[Exception],
    slug: str,
) -> None:
    world = World.empty()
    comment_id = world.add_comment(
        world.add_period(status), disposition=disposition, justification="Да" if disposition else ""
    )
    with pytest.raises(error) as refused:
        await world.responses().rate(
            comment_id, author=author, rating=rating, now=NOW + dt.timedelta(hours=1)
        )
    assert getattr(refused.value, "slug", None) == slug
    assert world.logs.appended == []
