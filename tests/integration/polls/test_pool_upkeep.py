"""The pool is a queue of sealed ballots: on PostgreSQL the mixer gives its deleted rows back
with a VACUUM every few thousand ballots (so reading the pool stays cheap under load), and
mixing loses or repeats nothing for it."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from litestar import Litestar

from services.polls.casting import mixing
from tests.harness.asgi import app_client
from tests.harness.ballots import accepted_ballots
from tests.harness.people import People
from tests.integration.polls._support import GOOD_ANSWERS, cast, open_poll, survey_body

K = 10


async def _vacuums_of_the_pool(app: Litestar) -> int:
    rows = await app.state.polls.logs.store.t.entry.raw(
        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'ballot_pool'"
    )
    return int(rows[0]["vacuum_count"])


async def _cast_and_mix(
    app: Litestar, client: httpx.AsyncClient, people: People, poll_id: str, casts: int
) -> None:
    """Cast, then run integrator rounds until the pool is below 2k, where mixing stops (a
    background round may have mixed part of it already, at any size from 2k up)."""
    for _ in range(casts):
        assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
    logs = app.state.polls.logs
    for _ in range(200):
        await logs.integrate_now(poll_id)
        if await logs.feeder.waiting(poll_id) < 2 * K:
            # Rounds run one at a time: this one waits out a background round that may have
            # mixed and not vacuumed yet.
            await logs.integrate_now(poll_id)
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the mixer did not move the batch")


@pytest.mark.parametrize("database_backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_the_mixer_vacuums_the_pool_as_ballots_leave_it(
    app: Litestar, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mixing, "VACUUM_AFTER", K)  # every batch is at least k
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body(anonymity_batch=K))
        # Only the mixer vacuums this table here (autovacuum's runs would be counted apart, but
        # one holding the table would make the mixer's SKIP_LOCKED VACUUM skip).
        await app.state.polls.logs.store.t.entry.raw(
            "ALTER TABLE ballot_pool SET (autovacuum_enabled = false)"
        )
        assert await _vacuums_of_the_pool(app) == 0

        # The pool reaches 2k with the last cast only: one batch of k leaves.
        await _cast_and_mix(app, client, people, poll_id, 2 * K)
        assert await _vacuums_of_the_pool(app) == 1
        # Another 2k: at least one more batch leaves (two if a round mixed on the way).
        await _cast_and_mix(app, client, people, poll_id, 2 * K)
        assert await _vacuums_of_the_pool(app) >= 2

        ballots = await accepted_ballots(app, poll_id)
        assert len(ballots) == 4 * K
        assert len(set(ballots)) == 4 * K  # every ballot once (each carries its own nonce)
