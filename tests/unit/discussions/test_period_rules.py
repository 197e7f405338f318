"""Comment periods' rules over an in-memory store: dates, announcing, extensions, the clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from services.discussions.comment_periods.domain import MAX_EXTENSIONS, for_viewer
from services.discussions.comment_periods.schemas import CommentPeriodStatus, CommentPeriodView
from services.discussions.errors import (
    ConflictError,
    ForbiddenError,
    InvalidError,
    UnprocessableError,
)
from shared.eligibility import Eligibility
from tests.unit.discussions._fakes import NOW, ORG, World

DAY = dt.timedelta(days=1)


async def _create(world: World, **changes: Any) -> CommentPeriodView:
    """A period of a fresh draft, created by one of its organisation's officials."""
    asked: dict[str, Any] = {
        "draft_id": world.add_draft(),
        "managed": [ORG],
        "territory": ["45"],
        "starts_at": NOW + DAY,
        "ends_at": NOW + 30 * DAY,
        "eligibility": Eligibility(territory=("45",)),
        "now": NOW,
    }
    return await world.periods_service().create(**{**asked, **changes})


async def _extend(
    world: World, period_id: str, new_end: dt.datetime, reason: str = "why"
) -> CommentPeriodView:
    return await world.periods_service().extend(
        period_id, managed=[ORG], new_end=new_end, reason=reason, decided_by="official-1", now=NOW
    )


async def test_a_new_period_is_a_draft_of_the_drafts_organisation() -> None:
    view = await _create(World.empty())
    assert view.status is CommentPeriodStatus.DRAFT
    assert view.organisation == ORG
    assert view.eligibility.territory == ("45",)


async def test_a_period_cannot_reach_beyond_its_organisations_territory() -> None:
    world = World.empty()
    with pytest.raises(UnprocessableError) as refused:
        await _create(world, eligibility=Eligibility(territory=("46",)))
    assert refused.value.slug == "territory-outside-organisation"
    assert world.periods.rows == {}


@pytest.mark.parametrize(
    ("starts_at", "ends_at", "slug"),
    [
        (NOW + 2 * DAY, NOW + DAY, "bad-dates"),
        (NOW + DAY, NOW + DAY, "bad-dates"),
        (NOW.replace(tzinfo=None), NOW + DAY, "naive-time"),
    ],
)
async def test_a_period_needs_zoned_dates_ending_after_they_start(
    starts_at: dt.datetime, ends_at: dt.datetime, slug: str
) -> None:
    world = World.empty()
    with pytest.raises(InvalidError) as refused:
        await _create(world, starts_at=starts_at, ends_at=ends_at)
    assert refused.value.slug == slug


async def test_only_the_organisations_officials_change_its_period() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.DRAFT, starts_at=NOW + DAY)
    with pytest.raises(ForbiddenError) as refused:
        await world.periods_service().announce(period_id, managed=["other"], now=NOW)
    assert refused.value.slug == "not-your-period"
    assert world.periods.rows[period_id]["status"] == "draft"


async def test_announcing_takes_a_draft_whose_end_is_ahead() -> None:
    world = World.empty()
    periods = world.periods_service()
    ended = world.add_period(CommentPeriodStatus.DRAFT, starts_at=NOW - 3 * DAY, ends_at=NOW - DAY)
    with pytest.raises(InvalidError, match="end-in-past"):
        await periods.announce(ended, managed=[ORG], now=NOW)
    ready = world.add_period(CommentPeriodStatus.DRAFT, starts_at=NOW + DAY)
    assert (
        await periods.announce(ready, managed=[ORG], now=NOW)
    ).status is CommentPeriodStatus.ANNOUNCED
    with pytest.raises(ConflictError) as again:
        await periods.announce(ready, managed=[ORG], now=NOW)
    assert again.value.slug == "not-a-draft"


async def test_an_open_period_keeps_its_dates() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.OPEN)
    with pytest.raises(ConflictError) as refused:
        await world.periods_service().reschedule(
            period_id, managed=[ORG], starts_at=NOW + DAY, ends_at=NOW + 9 * DAY, now=NOW
        )
    assert refused.value.slug == "period-already-open"


async def test_an_announced_period_is_rescheduled_only_to_a_future_start() -> None:
    world = World.empty()
    periods = world.periods_service()
    period_id = world.add_period(CommentPeriodStatus.ANNOUNCED, starts_at=NOW + DAY)
    with pytest.raises(InvalidError, match="start-in-past"):
        await periods.reschedule(
            period_id, managed=[ORG], starts_at=NOW - DAY, ends_at=NOW + 9 * DAY, now=NOW
        )
    moved = await periods.reschedule(
        period_id, managed=[ORG], starts_at=NOW + 2 * DAY, ends_at=NOW + 9 * DAY, now=NOW
    )
    assert (moved.starts_at, moved.ends_at) == (NOW + 2 * DAY, NOW + 9 * DAY)


async def test_an_extension_moves_the_end_later_and_logs_who_and_why() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.OPEN, ends_at=NOW + DAY)
    extended = await _extend(world, period_id, NOW + 8 * DAY, "  Много обращений  ")
    assert extended.ends_at == NOW + 8 * DAY
    [logged] = await world.periods_service().extensions(period_id)
    assert (logged.previous_end, logged.new_end, logged.reason) == (
        NOW + DAY,
        NOW + 8 * DAY,
        "Много обращений",
    )
    assert world.periods.extension_log[0]["decided_by"] == "official-1"


@pytest.mark.parametrize("new_end", [NOW + DAY, NOW + DAY / 2, NOW - DAY])
async def test_a_period_is_never_shortened(new_end: dt.datetime) -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.OPEN, ends_at=NOW + DAY)
    with pytest.raises(ConflictError) as refused:
        await _extend(world, period_id, new_end)
    assert refused.value.slug == "period-cannot-shorten"
    assert world.periods.rows[period_id]["ends_at"] == NOW + DAY


async def test_an_extension_needs_a_reason_to_show() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.OPEN)
    with pytest.raises(InvalidError) as refused:
        await _extend(world, period_id, NOW + 30 * DAY, " а ")
    assert refused.value.slug == "bad-reason"


async def test_a_closed_period_is_not_extended() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.CLOSED, ends_at=NOW - DAY)
    with pytest.raises(ConflictError) as refused:
        await _extend(world, period_id, NOW + DAY)
    assert refused.value.slug == "period-not-running"


async def test_extensions_stop_at_the_limit() -> None:
    world = World.empty()
    period_id = world.add_period(CommentPeriodStatus.OPEN, ends_at=NOW + DAY)
    for n in range(MAX_EXTENSIONS):
        await _extend(world, period_id, NOW + (n + 2) * DAY)
    with pytest.raises(ConflictError) as refused:
        await _extend(world, period_id, NOW + 99 * DAY)
    assert refused.value.slug == "period-extension-limit"


async def test_the_clock_opens_and_closes_periods_at_their_times_with_their_logs() -> None:
    world = World.empty()
    due = world.add_period(CommentPeriodStatus.ANNOUNCED, starts_at=NOW - DAY)
    later = world.add_period(CommentPeriodStatus.ANNOUNCED, starts_at=NOW + DAY)
    ending = world.add_period(CommentPeriodStatus.OPEN, ends_at=NOW)
    running = world.add_period(CommentPeriodStatus.OPEN, ends_at=NOW + DAY)
    changed = await world.periods_service().tick(NOW)
    assert changed == [(due, CommentPeriodStatus.OPEN), (ending, CommentPeriodStatus.CLOSED)]
    assert (world.logs.opened, world.logs.closed_logs) == ([due], [ending])
    statuses = {k: r["status"] for k, r in world.periods.rows.items()}
    assert statuses[later] == "announced"
    assert statuses[running] == "open"


async def test_a_closed_roll_is_shown_only_to_the_periods_officials() -> None:
    world = World.empty()
    roll = Eligibility(roll=("citizen-1", "citizen-2"))
    period_id = world.add_period(
        CommentPeriodStatus.OPEN, eligibility=msgspec.json.encode(roll).decode()
    )
    view = await world.periods_service().get(period_id)
    assert view.closed_roll
    assert for_viewer(view, [ORG]).eligibility.roll == ("citizen-1", "citizen-2")
    public = for_viewer(view, ["other"])
    assert public.eligibility.roll is None
    assert public.closed_roll
