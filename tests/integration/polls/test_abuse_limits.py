"""A client hammering the casting endpoint is told to wait; a voter's single ballot is not."""

from __future__ import annotations

import dataclasses

from redis.asyncio import Redis

from services.polls.app import create_app
from shared.config import Settings
from tests.harness.asgi import app_client
from tests.integration.polls._support import GOOD_ANSWERS, cast, open_poll, survey_body
from tests.integration.polls.conftest import People


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
