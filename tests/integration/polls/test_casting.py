"""Casting: receipts, refusals with reasons, one ballot per voter whatever happens."""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import os
import uuid

import httpx
from litestar import Litestar

from services.polls.casting.pooling import seal_pooled
from services.polls.casting.store import CastStore, PendingCast, WriteOutcome
from services.polls.casting.tables import Participation
from services.polls.polls.store import PollStore
from shared.db.engine import is_sqlite
from shared.log.merkle import leaf_hash
from shared.log.note import Verifier
from shared.log.receipt import verify_receipt
from shared.tally.ballot import decode_entry
from tests.harness.asgi import app_client
from tests.harness.ballots import accepted_ballots
from tests.harness.people import OTHER_TOWN, People, auth
from tests.harness.processes import RedisProcess
from tests.integration.polls._support import (
    GOOD_ANSWERS,
    cast,
    create,
    open_poll,
    survey_body,
    wait_status,
)


async def _ballots(poll_id: str, app: Litestar) -> list[bytes]:
    return await accepted_ballots(app, poll_id)


async def test_a_cast_gets_a_receipt_that_verifies_and_finds_the_ballot(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await open_poll(client, official, survey_body(closes_in=2.0))
        response = await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)
        assert response.status_code == 201
        body = response.json()
        keys = [Verifier.parse(k) for k in (await client.get("/api/v1/keys")).json()["keys"]]
        receipt, _ = verify_receipt(body["receipt"], keys)
        assert receipt.tracking_code == body["tracking_code"]
        assert receipt.accepted_at.second == 0  # to the minute
        waiting = (await client.get(body["check"])).json()
        assert waiting["status"] == "pooled"
        assert waiting["pool"] == {"waiting": 1, "batch": 20}
        assert waiting["entry_hash"] is None
        await wait_status(client, official, poll_id, "tallied")
        found = (await client.get(body["check"])).json()
        assert found["status"] == "included"
        assert found["entry_hash"] == body["entry_hash"]


async def test_ineligible_voters_get_403_with_the_reason(app: Litestar, people: People) -> None:
    async with app_client(app) as client:
        roll_member = "a" * 32
        body = survey_body(
            eligibility={"min_age": 18, "territory": ["92701"], "roll": [roll_member, "b" * 32]}
        )
        poll_id = await open_poll(client, people.official(), body)
        cases = {
            "account-not-confirmed": people.citizen(sub=roll_member, trusted=False),
            "outside-territory": people.citizen(sub=roll_member, oktmo=OTHER_TOWN),
            "not-on-roll": people.citizen(),
        }
        for reason, voter in cases.items():
            response = await cast(client, voter, poll_id, GOOD_ANSWERS)
            assert response.status_code == 403
            assert response.json()["reason"] == reason
        child = people.citizen(sub=roll_member, born=dt.date.today() - dt.timedelta(days=3650))
        young = await cast(client, child, poll_id, GOOD_ANSWERS)
        assert young.json()["reason"] == "too-young"
        ok = await cast(client, people.citizen(sub=roll_member), poll_id, GOOD_ANSWERS)
        assert ok.status_code == 201


async def test_invalid_answers_get_422_listing_each_issue(app: Litestar, people: People) -> None:
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        answers = {
            "park": "maybe",
            "use": ["walk", "sport", "kids"],
            "first": ["light", "light", "paths"],
            "happy": 9,
            "extra": "x",
        }
        response = await cast(client, people.citizen(), poll_id, answers)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        paths = {e["path"] for e in response.json()["errors"]}
        assert {"answers.park", "answers.use", "answers.first", "answers.happy"} <= paths
        assert any(p.startswith("answers.extra") for p in paths)
        missing = await cast(client, people.citizen(), poll_id, {"park": "yes"})
        assert missing.status_code == 422
        unknown = await client.post(
            f"/api/v1/polls/{poll_id}/ballots",
            json={"answers": GOOD_ANSWERS, "vote_twice": True},
            headers=people.citizen(),
        )
        assert unknown.status_code == 400
        assert unknown.json()["type"].endswith("/unknown-field")


async def test_a_repeat_cast_is_409_with_the_original_tracking_code(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        voter = people.citizen(sub="c" * 32)
        first = (await cast(client, voter, poll_id, GOOD_ANSWERS)).json()
        again = await cast(client, people.citizen(sub="c" * 32), poll_id, GOOD_ANSWERS)
        assert again.status_code == 409
        assert again.json()["type"].endswith("/already-voted")
        assert again.json()["tracking_code"] == first["tracking_code"]


async def test_a_retry_with_the_same_idempotency_key_returns_the_original_receipt(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        voter = people.citizen()
        first = await cast(client, voter, poll_id, GOOD_ANSWERS, **{"Idempotency-Key": "k-1"})
        retry = await cast(client, voter, poll_id, GOOD_ANSWERS, **{"Idempotency-Key": "k-1"})
        assert retry.status_code == 201
        assert retry.json() == first.json()
        other = await cast(client, voter, poll_id, GOOD_ANSWERS, **{"Idempotency-Key": "k-2"})
        assert other.status_code == 409
        assert len(await _ballots(poll_id, app)) == 1


async def test_casts_before_opening_and_after_closing_are_409_poll_not_open(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        later = await create(client, official, survey_body(opens_in=600))
        await client.post(f"/api/v1/polls/{later}/schedule", headers=official)
        early = await cast(client, people.citizen(), later, GOOD_ANSWERS)
        assert early.status_code == 409
        assert early.json()["type"].endswith("/poll-not-open")
        short = await open_poll(client, official, survey_body(closes_in=1.0))
        await wait_status(client, official, short, "tallied")
        late = await cast(client, people.citizen(), short, GOOD_ANSWERS)
        assert late.status_code == 409
        assert late.json()["type"].endswith("/poll-not-open")


async def test_many_concurrent_casts_of_one_voter_make_exactly_one_ballot(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        tokens = [people.citizen(sub="d" * 32) for _ in range(30)]
        others = [people.citizen() for _ in range(10)]
        responses = await asyncio.gather(
            *(cast(client, t, poll_id, GOOD_ANSWERS) for t in [*tokens, *others])
        )
        same = [r.status_code for r in responses[:30]]
        assert same.count(201) == 1
        assert same.count(409) == 29
        assert all(r.status_code == 201 for r in responses[30:])
        assert len(await _ballots(poll_id, app)) == 11


async def test_flushed_redis_leaves_the_database_as_the_gate(
    app: Litestar, people: People, redis_server: RedisProcess
) -> None:
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        voter = people.citizen(sub="e" * 32)
        first = (await cast(client, voter, poll_id, GOOD_ANSWERS)).json()
        await app.state.runtime.redis.flushall()
        again = await cast(client, voter, poll_id, GOOD_ANSWERS)
        assert again.status_code == 409
        assert again.json()["tracking_code"] == first["tracking_code"]


async def test_redis_killed_mid_stream_loses_no_receipted_ballot_and_counts_nobody_twice(
    app: Litestar, people: People, redis_server: RedisProcess
) -> None:
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        subs = [f"{i:032x}" for i in range(60)]
        receipts: list[str] = []

        async def voter(sub: str) -> None:
            for _ in range(2):  # everyone tries twice
                response = await cast(client, people.citizen(sub=sub), poll_id, GOOD_ANSWERS)
                assert response.status_code in (201, 409, 503, 500), response.text
                if response.status_code == 201:
                    receipts.append(response.json()["entry_hash"])

        async def chaos() -> None:
            await asyncio.sleep(0.05)
            redis_server.kill()
            await asyncio.sleep(0.5)
            redis_server.restart()

        await asyncio.gather(chaos(), *(voter(s) for s in subs))
        entries = await _ballots(poll_id, app)
        hashes = {leaf_hash(e).hex() for e in entries}
        assert set(receipts) <= hashes
        assert len(receipts) == len(set(receipts))
        assert len(entries) == await Participation.count().where(Participation.poll_id == poll_id)
        assert len(entries) <= len(subs)
        assert all(decode_entry(e).poll == poll_id for e in entries)


def _pending(app: Litestar, poll_id: str, tag: str) -> tuple[PendingCast, bytes]:
    entry = os.urandom(40).hex().encode()
    pool_id = uuid.uuid4()
    secret = app.state.polls.casting.secret
    return PendingCast(
        poll_id=poll_id,
        voter_tag=tag,
        sealed=b"sealed",
        pool_id=pool_id,
        pooled=seal_pooled(secret, poll_id, pool_id, entry, 256),
        lookup=os.urandom(16),
        municipality="92701000001",
        age_band="35-44",
        hour=dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0),
    ), entry


async def _open_poll_and_store(
    client: httpx.AsyncClient, app: Litestar, people: People
) -> tuple[str, CastStore]:
    """An open poll and a cast store of its app that writes straight to the database."""
    poll_id = await open_poll(client, people.official(), survey_body())
    engine = app.state.polls.logs.store.engine
    return poll_id, CastStore(app.state.polls.logs, PollStore(), lock_polls=not is_sqlite(engine))


async def test_a_batch_with_repeated_voters_writes_the_others_and_refuses_the_repeats(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        poll_id, store = await _open_poll_and_store(client, app, people)
        earlier, earlier_entry = _pending(app, poll_id, "earlier")
        assert await store.write([earlier]) == [WriteOutcome.ACCEPTED]
        made = [
            _pending(app, poll_id, "b"),
            _pending(app, poll_id, "earlier"),  # already in the database
            _pending(app, poll_id, "a"),
            _pending(app, poll_id, "b"),  # twice in this very batch
            _pending(app, "no-such-poll", "c"),
        ]
        batch = [cast for cast, _ in made]
        outcomes = await store.write(batch)
        assert sorted([outcomes[0].value, outcomes[3].value]) == ["accepted", "duplicate"]
        assert outcomes[1:3] == [WriteOutcome.DUPLICATE, WriteOutcome.ACCEPTED]
        assert outcomes[4] is WriteOutcome.POLL_NOT_OPEN
        b_written = made[0][1] if outcomes[0] is WriteOutcome.ACCEPTED else made[3][1]
        entries = await _ballots(poll_id, app)
        assert sorted(entries) == sorted([earlier_entry, b_written, made[2][1]])
        assert await Participation.count().where(Participation.poll_id == poll_id) == 3


async def test_concurrent_casts_with_a_repeated_voter_in_one_commit_answer_each_right(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        batches_before = app.state.polls.casting.committer.batches
        voters = [people.citizen() for _ in range(20)]
        twice = people.citizen(sub="f" * 32)
        responses = await asyncio.gather(
            *(cast(client, v, poll_id, GOOD_ANSWERS) for v in [twice, *voters, twice])
        )
        codes = [r.status_code for r in responses]
        assert sorted([codes[0], codes[-1]]) == [201, 409]
        assert codes[1:-1] == [201] * 20
        assert app.state.polls.casting.committer.batches - batches_before < 22
        assert len(await _ballots(poll_id, app)) == 21


async def test_a_session_signed_out_after_use_cannot_cast(app: Litestar, people: People) -> None:
    # The token verified once (and is remembered by the process); sign-out must still stop it.
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        voter = auth(people.token())
        assert (await client.get("/me", headers=voter)).status_code == 200
        assert (await client.post("/auth/logout", headers=voter)).status_code == 204
        refused = await cast(client, voter, poll_id, GOOD_ANSWERS)
        assert refused.status_code == 401
        assert "signed out" in refused.json()["detail"]
        assert await Participation.count().where(Participation.poll_id == poll_id) == 0


async def test_a_signed_out_session_cannot_cast_after_redis_lost_its_revocations(
    app: Litestar, people: People, redis_server: RedisProcess
) -> None:
    # The gate's script finds no revocation marker: the database, the authority, decides.
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        voter = auth(people.token())
        assert (await client.post("/auth/logout", headers=voter)).status_code == 204
        await app.state.runtime.redis.flushall()
        refused = await cast(client, voter, poll_id, GOOD_ANSWERS)
        assert refused.status_code == 401
        assert "signed out" in refused.json()["detail"]
        # A caster still signed in casts as before; the revocations are back in Redis.
        assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
        assert (await cast(client, voter, poll_id, GOOD_ANSWERS)).status_code == 401
        assert await Participation.count().where(Participation.poll_id == poll_id) == 1


async def test_a_signed_out_session_cannot_cast_while_redis_is_down(
    app: Litestar, people: People, redis_server: RedisProcess
) -> None:
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        voter = auth(people.token())
        assert (await client.post("/auth/logout", headers=voter)).status_code == 204
        redis_server.kill()
        try:
            refused = await cast(client, voter, poll_id, GOOD_ANSWERS)
            assert refused.status_code == 401
            assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
        finally:
            redis_server.restart()
        assert await Participation.count().where(Participation.poll_id == poll_id) == 1


async def test_a_batch_committing_while_its_poll_closes_waits_and_writes_nothing(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        poll_id, store = await _open_poll_and_store(client, app, people)
        outside = contextvars.copy_context()  # the batch must not join the close's transaction
        batch = [_pending(app, poll_id, voter)[0] for voter in ("a", "b")]
        async with app.state.polls.logs.transaction():
            assert await PollStore().transition(poll_id, ["open"], "closed")
            writing = asyncio.get_running_loop().create_task(store.write(batch), context=outside)
            await asyncio.sleep(0.3)
            # The closing transaction holds the poll: the batch waits for it to end.
            assert not writing.done()
        assert await writing == [WriteOutcome.POLL_NOT_OPEN] * 2
        assert await Participation.count().where(Participation.poll_id == poll_id) == 0
        assert await _ballots(poll_id, app) == []
