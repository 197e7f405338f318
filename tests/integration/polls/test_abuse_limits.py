"""A client hammering the casting endpoint is told to wait; a voter's single ballot is not;
the counters in Redis name neither the voter nor the address."""

from __future__ import annotations

import dataclasses

from redis.asyncio import Redis

from services.polls.app import create_app
from shared.config import Settings
from tests.harness.asgi import app_client
from tests.harness.logs import captured_logs
from tests.harness.people import People
from tests.harness.redis_dump import redis_dump, strings_in
from tests.harness.sign_in import sign_in
from tests.integration.polls._support import GOOD_ANSWERS, cast, open_poll, survey_body

FORWARDED = "198.51.100.23"
"""A client address a proxy would report; the services do not trust it, nor log it."""


async def test_eleventh_cast_attempt_within_a_minute_gets_429(
    settings: Settings, people: People, redis_url: str
) -> None:
    async with Redis.from_url(redis_url) as redis:
        await redis.flushall()
    limited = dataclasses.replace(settings, rate_limits=True)
    async with app_client(create_app(limited)) as client:
        poll_id = await open_poll(client, people.official(), survey_body())
        hammer = people.citizen()
        codes = [(await cast(client, hammer, poll_id, GOOD_ANSWERS)).status_code for _ in range(11)]
        assert codes == [201] + [409] * 9 + [429]
        refused = await cast(client, hammer, poll_id, GOOD_ANSWERS)
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201


async def test_redis_and_logs_name_nobody_after_sign_in_and_casts_over_the_limit(
    settings: Settings, people: People, redis_url: str
) -> None:
    async with Redis.from_url(redis_url) as redis:
        await redis.flushall()
    limited = dataclasses.replace(settings, rate_limits=True)
    app = create_app(limited)
    with captured_logs() as logs:
        async with app_client(app) as client:
            client.headers["X-Forwarded-For"] = FORWARDED
            token = await sign_in(client, "citizen-tyumen")
            sub = (await client.get("/me")).json()["sub"]
            client.cookies.clear()
            poll_id = await open_poll(client, people.official(), survey_body())
            voter = people.citizen(sub=sub)
            codes = [
                (await cast(client, voter, poll_id, GOOD_ANSWERS)).status_code for _ in range(11)
            ]
            assert codes == [201] + [409] * 9 + [429]
            out = await client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
            assert out.status_code == 204
    dump = await redis_dump(redis_url)
    names = {entry.key.rsplit(":", 1)[0] for entry in dump if entry.key.startswith("rl:")}
    # Casting counts per person only: an office behind one address is many people.
    assert names == {"rl:sign-in:a", "rl:cast:s"}
    assert strings_in(dump, sub, sub[:16], sub[-16:], "127.0.0.1") == []
    # The log reader: nothing that names the person or where they connect from.
    text = "\n".join(logs)
    for needle in (sub, sub[:16], "127.0.0.1", FORWARDED):
        assert needle not in text
