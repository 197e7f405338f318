"""The polls domain's rules without a database: who may create, change, schedule, cancel and see
a poll, and what the lifecycle allows. The store is an in-memory stand-in of PollStore's
interface (the SQL itself is tested by the integration tests)."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from services.polls.errors import PollsError
from services.polls.polls.domain import MANAGE, NewPoll, PollChanges, PollService
from services.polls.polls.store import PollRecord, PollStore, Status
from shared.eligibility import Eligibility
from shared.identity.claims import OrganisationGrant, Role, Session
from shared.tally.definition import FreeText, Option, SingleChoice

KAZAN = "92701000"
OTHER = "45000000"


class MemoryPolls(PollStore):
    """PollStore's interface over a dict: what the domain reads back is what it wrote."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, PollRecord] = {}

    async def insert(self, record: PollRecord) -> None:
        assert record.id not in self.rows
        self.rows[record.id] = copy.deepcopy(record)

    async def get(self, poll_id: str) -> PollRecord | None:
        row = self.rows.get(poll_id)
        return copy.deepcopy(row) if row is not None else None

    async def save(self, record: PollRecord) -> None:
        self.rows[record.id] = copy.deepcopy(record)

    async def transition(
        self, poll_id: str, before: Sequence[Status], after: Status, **values: Any
    ) -> bool:
        row = self.rows.get(poll_id)
        if row is None or row.status not in before:
            return False
        row.status = after
        for name, value in values.items():
            setattr(row, name, value)
        return True

    async def listing(
        self,
        organisations: Sequence[str],
        everyone_active: bool,
        *,
        status: str | None = None,
        limit: int | None = None,
    ) -> list[PollRecord]:
        return [
            copy.deepcopy(p)
            for p in self.rows.values()
            if p.organisation in organisations or (everyone_active and p.status != "draft")
        ]


def _session(
    sub: str,
    *,
    oktmo: str = KAZAN,
    trusted: bool = True,
    roles: tuple[str, ...] = (Role.CITIZEN.value,),
    orgs: tuple[OrganisationGrant, ...] = (),
) -> Session:
    return Session(
        sub=sub,
        trusted=trusted,
        birth_date=dt.date(1980, 1, 1),
        oktmo=oktmo,
        region=oktmo[:2],
        roles=roles,
        orgs=orgs,
        sid=f"sid-{sub}",
        jti=f"jti-{sub}",
        iat=0,
        exp=2**31,
    )


OFFICIAL = _session(
    "official",
    roles=(Role.CITIZEN.value, Role.OFFICIAL.value),
    orgs=(
        OrganisationGrant(org="kazan", role="official", territory=(KAZAN,), permissions=(MANAGE,)),
    ),
)
NO_PERMISSION = _session(
    "clerk",
    roles=(Role.CITIZEN.value, Role.OFFICIAL.value),
    orgs=(OrganisationGrant(org="kazan", role="official", territory=(KAZAN,)),),
)
CITIZEN = _session("citizen")
OUTSIDER = _session("outsider", oktmo=OTHER)
AUDITOR = _session("auditor", oktmo=OTHER, roles=(Role.AUDITOR.value,))


def _new_poll(**overrides: Any) -> NewPoll:
    now = dt.datetime.now(dt.UTC)
    values: dict[str, Any] = {
        "organisation": "kazan",
        "title": "Park or square",
        "kind": "survey",
        "questions": (
            SingleChoice(
                id="q1",
                text="Which first?",
                options=(Option(id="park", label="Park"), Option(id="square", label="Square")),
            ),
        ),
        "eligibility": Eligibility(),
        "opens_at": now + dt.timedelta(days=1),
        "closes_at": now + dt.timedelta(days=8),
    }
    values.update(overrides)
    return NewPoll(**values)


def _refusal(exc: pytest.ExceptionInfo[PollsError]) -> tuple[int, str]:
    return exc.value.status, exc.value.slug


@pytest.fixture
def store() -> MemoryPolls:
    return MemoryPolls()


@pytest.fixture
def polls(store: MemoryPolls) -> PollService:
    return PollService(store)


async def test_an_official_creates_a_draft_in_the_organisations_territory(
    polls: PollService, store: MemoryPolls
) -> None:
    record = await polls.create(OFFICIAL, _new_poll())
    assert record.status == "draft"
    assert record.organisation_territory == (KAZAN,)
    assert record.created_by == "official"
    assert store.rows[record.id].definition_bytes == record.definition_bytes


@pytest.mark.parametrize("who", [CITIZEN, NO_PERMISSION, AUDITOR])
async def test_only_holders_of_polls_manage_create(polls: PollService, who: Session) -> None:
    with pytest.raises(PollsError) as refused:
        await polls.create(who, _new_poll())
    assert refused.value.status == 403


async def test_every_wrong_field_is_listed_at_once(polls: PollService, store: MemoryPolls) -> None:
    naive = dt.datetime(2030, 1, 1)  # the missing zone is what is tested
    with pytest.raises(PollsError) as refused:
        await polls.create(OFFICIAL, _new_poll(opens_at=naive, anonymity_batch=3))
    paths = {issue["path"] for issue in refused.value.extra["errors"]}
    assert {"opens_at", "anonymity_batch"} <= paths
    assert refused.value.status == 422
    assert store.rows == {}


async def test_a_batch_below_the_secrecy_minimum_is_refused(polls: PollService) -> None:
    with pytest.raises(PollsError) as refused:
        await polls.create(OFFICIAL, _new_poll(anonymity_batch=9))
    assert [i["path"] for i in refused.value.extra["errors"]] == ["anonymity_batch"]
    assert (await polls.create(OFFICIAL, _new_poll(anonymity_batch=10))).anonymity_batch == 10


async def test_closing_before_opening_is_refused(polls: PollService) -> None:
    now = dt.datetime.now(dt.UTC)
    with pytest.raises(PollsError) as refused:
        await polls.create(OFFICIAL, _new_poll(opens_at=now, closes_at=now))
    assert [i["path"] for i in refused.value.extra["errors"]] == ["closes_at"]


async def test_territory_outside_the_organisations_is_refused(polls: PollService) -> None:
    with pytest.raises(PollsError) as refused:
        await polls.create(OFFICIAL, _new_poll(eligibility=Eligibility(territory=(OTHER,))))
    assert refused.value.status == 422


async def test_a_draft_changes_freely_but_questions_freeze_once_scheduled(
    polls: PollService,
) -> None:
    record = await polls.create(OFFICIAL, _new_poll())
    renamed = await polls.update(OFFICIAL, record.id, PollChanges({"title": "Square or park"}))
    assert renamed.definition.title == "Square or park"
    await polls.schedule(OFFICIAL, record.id)
    with pytest.raises(PollsError) as refused:
        await polls.update(OFFICIAL, record.id, PollChanges({"title": "Something else"}))
    assert _refusal(refused) == (409, "poll-frozen")
    assert refused.value.extra["fields"] == ["title"]
    described = await polls.update(OFFICIAL, record.id, PollChanges({"description": "More"}))
    assert described.description == "More"
    assert described.status == "scheduled"


async def test_scheduling_twice_is_a_conflict(polls: PollService) -> None:
    record = await polls.create(OFFICIAL, _new_poll())
    assert (await polls.schedule(OFFICIAL, record.id)).status == "scheduled"
    with pytest.raises(PollsError) as refused:
        await polls.schedule(OFFICIAL, record.id)
    assert _refusal(refused) == (409, "poll-not-draft")


async def test_a_poll_whose_closing_time_passed_cannot_be_scheduled(
    polls: PollService, store: MemoryPolls
) -> None:
    record = await polls.create(OFFICIAL, _new_poll())
    store.rows[record.id].closes_at = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
    with pytest.raises(PollsError) as refused:
        await polls.schedule(OFFICIAL, record.id)
    assert _refusal(refused) == (409, "poll-closes-in-past")
    assert store.rows[record.id].status == "draft"


async def test_cancelling_an_open_poll_seals_its_log_and_keeps_the_reason(
    store: MemoryPolls,
) -> None:
    sealed: list[str] = []

    async def seal(poll_id: str) -> None:
        sealed.append(poll_id)

    polls = PollService(store, seal_cancelled=seal)
    record = await polls.create(OFFICIAL, _new_poll())
    draft = await polls.create(OFFICIAL, _new_poll())
    store.rows[record.id].status = "open"
    cancelled = await polls.cancel(OFFICIAL, record.id, "Wrong budget")
    assert (cancelled.status, cancelled.cancel_reason) == ("cancelled", "Wrong budget")
    await polls.cancel(OFFICIAL, draft.id, "Not needed")
    assert sealed == [record.id], "a draft has no log to seal"


@pytest.mark.parametrize("status", ["closed", "tallied", "cancelled"])
async def test_finished_polls_cannot_be_cancelled_or_changed(
    polls: PollService, store: MemoryPolls, status: str
) -> None:
    record = await polls.create(OFFICIAL, _new_poll())
    store.rows[record.id].status = status
    with pytest.raises(PollsError) as refused:
        await polls.cancel(OFFICIAL, record.id, "Too late")
    assert _refusal(refused) == (409, "poll-not-cancellable")
    with pytest.raises(PollsError) as changed:
        await polls.update(OFFICIAL, record.id, PollChanges({"description": "x"}))
    assert _refusal(changed) == (409, "poll-finished")
    assert store.rows[record.id].status == status


async def test_who_sees_a_poll_at_each_stage(polls: PollService, store: MemoryPolls) -> None:
    record = await polls.create(OFFICIAL, _new_poll())

    async def sees(who: Session | None) -> bool:
        try:
            await polls.get(who, record.id)
        except PollsError as exc:
            refused.append(exc.status)
            return False
        return True

    refused: list[int] = []

    seen = {"draft": [await sees(w) for w in (OFFICIAL, CITIZEN, OUTSIDER, AUDITOR, None)]}
    for status in ("open", "tallied"):
        store.rows[record.id].status = status
        seen[status] = [await sees(w) for w in (OFFICIAL, CITIZEN, OUTSIDER, AUDITOR, None)]
    assert seen == {
        "draft": [True, False, False, False, False],
        "open": [True, True, False, True, False],
        "tallied": [True, True, False, True, True],
    }
    assert set(refused) == {404}, "an unseen poll is not found, never forbidden"


async def test_an_official_without_the_permission_may_look_but_not_manage(
    polls: PollService, store: MemoryPolls
) -> None:
    record = await polls.create(OFFICIAL, _new_poll())
    store.rows[record.id].status = "open"
    assert (await polls.get(NO_PERMISSION, record.id)).id == record.id
    with pytest.raises(PollsError) as refused:
        await polls.cancel(NO_PERMISSION, record.id, "No")
    assert refused.value.status == 403
    assert store.rows[record.id].status == "open"


async def test_listing_shows_only_what_the_session_may_see(
    polls: PollService, store: MemoryPolls
) -> None:
    draft = await polls.create(OFFICIAL, _new_poll())
    open_poll = await polls.create(OFFICIAL, _new_poll())
    store.rows[open_poll.id].status = "open"
    mine, total = await polls.listing(OFFICIAL, status=None, organisation=None, offset=0, limit=10)
    assert {p.id for p in mine} == {draft.id, open_poll.id}
    assert total == 2
    theirs, _ = await polls.listing(CITIZEN, status=None, organisation=None, offset=0, limit=10)
    assert [p.id for p in theirs] == [open_poll.id]
    nothing, total = await polls.listing(
        OUTSIDER, status=None, organisation=None, offset=0, limit=10
    )
    assert (nothing, total) == ([], 0)


async def test_a_poll_with_free_text_says_so(polls: PollService) -> None:
    record = await polls.create(
        OFFICIAL, _new_poll(questions=(FreeText(id="q1", text="Ideas?", max_length=200),))
    )
    assert record.has_free_text
