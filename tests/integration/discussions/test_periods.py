"""Comment periods: accepted only between start and end, extensions, no shortening."""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid

from litestar import Litestar

from services.discussions.comment_periods.domain import MAX_EXTENSIONS
from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.comment_periods.store import _ACCEPTING, _LISTED, CommentPeriodStore
from services.discussions.comment_periods.tables import CommentPeriod, CommentPeriodExtension
from services.discussions.comments.store import CommentStore
from services.discussions.comments.tables import Comment
from services.discussions.drafts.store import DraftStore
from services.discussions.drafts.tables import Section
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import (
    announce_period,
    comment,
    create_draft,
    moderate,
    now,
    open_period,
    wait_status,
)


async def test_comment_before_start_is_refused(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        period_id = await announce_period(client, official, draft["id"], starts_in=3600)
        response = await comment(client, period_id, people.citizen())
        assert response.status_code == 409
        assert response.json()["type"].endswith("/period-not-open")


async def test_comment_after_end_is_refused_and_period_closes_by_itself(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official, ends_in=1.0)
        assert (await comment(client, period_id, people.citizen())).status_code == 201
        closed = await wait_status(client, period_id, "closed")
        assert closed["closed_at"] is not None
        late = await comment(client, period_id, people.citizen())
        assert late.status_code == 409
        assert late.headers["content-type"] == "application/problem+json"


async def test_extension_takes_effect_and_is_logged(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official, ends_in=1.0)
        new_end = now() + dt.timedelta(hours=2)
        extended = await client.post(
            f"/api/v1/periods/{period_id}/extensions",
            json={"ends_at": new_end.isoformat(), "reason": "Много обращений жителей"},
            headers=official,
        )
        assert extended.status_code == 201, extended.text
        await asyncio.sleep(1.3)
        assert (await client.get(f"/api/v1/periods/{period_id}")).json()["status"] == "open"
        assert (await comment(client, period_id, people.citizen())).status_code == 201
        log = (await client.get(f"/api/v1/periods/{period_id}/extensions")).json()
        assert [e["reason"] for e in log] == ["Много обращений жителей"]


async def test_a_period_is_extended_at_most_max_extensions_times(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        codes = []
        for n in range(MAX_EXTENSIONS + 1):
            later = (now() + dt.timedelta(days=10, hours=n)).isoformat()
            extended = await client.post(
                f"/api/v1/periods/{period_id}/extensions",
                json={"ends_at": later, "reason": f"Продление {n}"},
                headers=official,
            )
            codes.append(extended.status_code)
        assert codes == [201] * MAX_EXTENSIONS + [409]
        assert extended.json()["type"].endswith("/period-extension-limit")
        log = (await client.get(f"/api/v1/periods/{period_id}/extensions")).json()
        assert len(log) == MAX_EXTENSIONS


async def test_open_period_cannot_be_shortened(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        earlier = (now() + dt.timedelta(minutes=5)).isoformat()
        shortened = await client.post(
            f"/api/v1/periods/{period_id}/extensions",
            json={"ends_at": earlier, "reason": "Торопимся"},
            headers=official,
        )
        assert shortened.status_code == 409
        assert shortened.json()["type"].endswith("/period-cannot-shorten")
        rescheduled = await client.put(
            f"/api/v1/periods/{period_id}/schedule",
            json={"starts_at": now().isoformat(), "ends_at": earlier},
            headers=official,
        )
        assert rescheduled.status_code == 409


async def test_only_the_organisations_officials_manage_its_periods(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        body = {
            "starts_at": now().isoformat(),
            "ends_at": (now() + dt.timedelta(days=1)).isoformat(),
        }
        other = await client.post(
            f"/api/v1/drafts/{draft['id']}/periods", json=body, headers=people.official("other")
        )
        assert other.status_code == 403
        citizen = await client.post(
            f"/api/v1/drafts/{draft['id']}/periods", json=body, headers=people.citizen()
        )
        assert citizen.status_code == 403
        anonymous = await client.post(f"/api/v1/drafts/{draft['id']}/periods", json=body)
        assert anonymous.status_code == 401


async def test_ineligible_citizens_are_refused_with_the_reason(
    app: Litestar, people: People
) -> None:
    from tests.harness.people import OTHER_TOWN

    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official, eligibility={"min_age": 18})
        outside = await comment(client, period_id, people.citizen(oktmo=OTHER_TOWN))
        assert outside.status_code == 403
        assert outside.json()["code"] == "outside-territory"
        unconfirmed = await comment(client, period_id, people.citizen(trusted=False))
        assert unconfirmed.json()["code"] == "account-not-confirmed"
        young = await comment(client, period_id, people.citizen(born=dt.date.today()))
        assert young.json()["code"] == "too-young"


async def test_period_open_beyond_its_organisations_territory_is_refused(
    app: Litestar, people: People
) -> None:
    # The city's officials serve 92701; a period of theirs may narrow that, never widen it.
    official = people.official(territory=("92701",))
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        url = f"/api/v1/drafts/{draft['id']}/periods"
        dates = {
            "starts_at": (now() + dt.timedelta(hours=1)).isoformat(),
            "ends_at": (now() + dt.timedelta(days=20)).isoformat(),
        }
        for territory in (["45380"], ["92"], ["9270100", "45380000001"]):
            refused = await client.post(
                url, json={**dates, "eligibility": {"territory": territory}}, headers=official
            )
            assert refused.status_code == 422, refused.text
            problem = refused.json()
            assert problem["type"].endswith("/territory-outside-organisation")
            outside = [t for t in territory if not t.startswith("92701")]
            assert [e["path"] for e in problem["errors"]] == [
                f"eligibility.territory[{territory.index(t)}]" for t in outside
            ]
        inside = await client.post(
            url, json={**dates, "eligibility": {"territory": ["9270100"]}}, headers=official
        )
        assert inside.status_code == 201, inside.text
        assert inside.json()["eligibility"]["territory"] == ["9270100"]


async def test_reads_of_a_period_there_is_not_say_so(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        for what in ("comments", "extensions"):
            there = await client.get(f"/api/v1/periods/{period_id}/{what}")
            assert there.status_code == 200, there.text
            missing = await client.get(f"/api/v1/periods/cp-0000000000000000/{what}")
            assert missing.status_code == 404, missing.text
            assert missing.json()["type"].endswith("/period-not-found")
        assert (await client.get("/discussions/cp-0000000000000000")).status_code == 404


async def test_a_periods_view_row_is_what_piccolos_select_of_those_columns_reads(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        raw = await CommentPeriodStore().view_row(period_id)
        built = await CommentPeriod.select(*_LISTED).where(CommentPeriod.id == period_id).first()
        assert built is not None
        assert raw == dict(built)
        assert raw is not None
        assert isinstance(raw["draft"], uuid.UUID)
        assert isinstance(raw["starts_at"], dt.datetime)
        assert raw["starts_at"].utcoffset() == dt.timedelta(0)
        assert await CommentPeriodStore().view_row("cp-0000000000000000") is None


async def test_a_pages_raw_reads_equal_piccolos_of_extensions_and_published_counts(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        for days in (2, 3):
            extended = await client.post(
                f"/api/v1/periods/{period_id}/extensions",
                json={
                    "ends_at": (now() + dt.timedelta(days=days)).isoformat(),
                    "reason": "Много обращений жителей",
                },
                headers=official,
            )
            assert extended.status_code == 201, extended.text
        for section, publish in (("", True), ("p1", True), ("p1", True), ("p1", False)):
            sent = await comment(client, period_id, people.citizen(), section=section)
            assert sent.status_code == 201, sent.text
            if publish:
                decided = await moderate(client, official, sent.json()["id"])
                assert decided.status_code == 201, decided.text

        raw = await CommentPeriodStore().extensions(period_id, 10)
        built = await (
            CommentPeriodExtension.select(
                CommentPeriodExtension.previous_end,
                CommentPeriodExtension.new_end,
                CommentPeriodExtension.reason,
                CommentPeriodExtension.decided_at,
            )
            .where(CommentPeriodExtension.period == period_id)
            .order_by(CommentPeriodExtension.decided_at)
        )
        assert raw == [dict(r) for r in built]
        assert len(raw) == 2
        assert isinstance(raw[0]["new_end"], dt.datetime)

        counts = await CommentStore().published_counts(period_id)
        assert counts == {"": 1, "p1": 2}
        published = await Comment.select(Comment.section).where(
            (Comment.period == period_id) & (Comment.status == "published")
        )
        assert sum(counts.values()) == len(published)


async def test_what_accepting_a_comment_reads_raw_is_what_piccolo_reads(
    app: Litestar, people: People
) -> None:
    """A comment is checked against its period's row and its draft's current sections, read
    by raw SQL: the same values and types as Piccolo's selects, on both databases, and the
    current version's sections after a new version replaced them."""
    official = people.official()
    async with app_client(app) as client:
        draft, period_id = await open_period(client, official)
        draft_id = uuid.UUID(draft["id"])
        store = CommentPeriodStore()
        raw = await store.accepting_row(period_id)
        built = await CommentPeriod.select(*_ACCEPTING).where(CommentPeriod.id == period_id).first()
        assert raw == dict(built or {})
        assert raw is not None
        assert isinstance(raw["draft"], uuid.UUID)
        assert raw["ends_at"].utcoffset() == dt.timedelta(0)
        assert await store.accepting_row("cp-0000000000000000") is None

        drafts = DraftStore()
        first = await drafts.current_anchors(draft_id)
        version_1 = await drafts.version_id(draft_id, 1)
        assert version_1 is not None
        built_anchors = await Section.select(Section.anchor).where(Section.version == version_1)
        assert first == (1, {r["anchor"] for r in built_anchors})
        assert len(first[1]) > 1
        replaced = await client.post(
            f"/api/v1/drafts/{draft_id}/versions",
            json={"markdown": "# 7. Единственный пункт\nТекст.", "note": "Сокращено"},
            headers=official,
        )
        assert replaced.status_code == 201, replaced.text
        assert await drafts.current_anchors(draft_id) == (2, {"p7"})
        assert await drafts.current_anchors(uuid.uuid4()) is None
        # A comment on a section of the first version only is refused now.
        gone = await comment(client, period_id, people.citizen(), section=sorted(first[1])[0])
        assert gone.status_code == 400, gone.text
        assert (await comment(client, period_id, people.citizen(), section="p7")).status_code == 201


async def test_comments_are_counted_only_while_the_period_is_open_and_before_its_end(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
    store = CommentPeriodStore()
    row = await store.get(period_id)
    assert row is not None
    ends_at = row["ends_at"]
    assert await store.accept_comments(period_id, 3, ends_at - dt.timedelta(seconds=1))
    assert not await store.accept_comments(period_id, 1, ends_at)
    assert not await store.accept_comments(period_id, 1, ends_at + dt.timedelta(days=1))
    assert not await store.accept_comments("cp-0000000000000000", 1, now())
    after = await store.get(period_id)
    assert after is not None
    assert after["comment_count"] == row["comment_count"] + 3
    await store.set_status(period_id, CommentPeriodStatus.CLOSED)
    assert not await store.accept_comments(period_id, 1, ends_at - dt.timedelta(seconds=1))
