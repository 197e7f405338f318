"""The pool is a queue of sealed ballots: on PostgreSQL the mixer gives its deleted rows back
with a VACUUM every few thousand ballots (so reading the pool stays cheap under load), and
mixing loses or repeats nothing for it."""

from __future__ import annotations

import pytest
from litestar import Litestar

from services.polls.casting import mixing
from tests.harness.asgi import app_client
from tests.harness.ballots import accepted_ballots
from tests.harness.people import People
from tests.integration.polls._support import GOOD_ANSWERS, cast, open_poll, survey_body

K = 10
CASTS = 80


async def _vacuums_of_the_pool(app: Litestar) -> int:
    rows = await app.state.polls.logs.store.t.entry.raw(
        "SELECT vacuum_count FROM pg_stat_user_tables WHERE relname = 'ballot_pool'"
    )
    return int(rows[0]["vacuum_count"])


@pytest.mark.parametrize("database_backend", [pytest.param("postgres", marks=pytest.mark.postgres)])
async def test_the_mixer_vacuums_the_pool_as_ballots_leave_it(
    app: Litestar, people: People, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(mixing, "VACUUM_AFTER", 3 * K)
    async with app_client(app) as client:
        poll_id = await open_poll(client, people.official(), survey_body(anonymity_batch=K))
        assert await _vacuums_of_the_pool(app) == 0
        for n in range(1, CASTS + 1):
            assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
            if n % (2 * K) == 0:  # the pool holds 2k: all but k move into the log
                await app.state.polls.logs.integrate_now(poll_id)

        # 70 ballots left the pool in batches of 10 to 20: more than twice the threshold.
        assert await _vacuums_of_the_pool(app) >= 2
        ballots = await accepted_ballots(app, poll_id)
        assert len(ballots) == CASTS
        assert len(set(ballots)) == CASTS  # every ballot once (each carries its own random nonce)
