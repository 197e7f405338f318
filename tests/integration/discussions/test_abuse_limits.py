"""A citizen commenting faster than a person writes is told to wait; others are unaffected."""

from __future__ import annotations

import dataclasses

from redis.asyncio import Redis

from services.discussions.app import create_app
from services.discussions.settings import DiscussionsSettings
from shared.config import Settings
from tests.harness.asgi import app_client
from tests.integration.discussions._support import comment, open_period
from tests.integration.discussions.conftest import People


async def test_sixth_comment_within_a_minute_gets_429(
    settings: Settings, options: DiscussionsSettings, people: People, redis_url: str
) -> None:
    async with Redis.from_url(redis_url) as redis:
        await redis.flushall()
    limited = dataclasses.replace(settings, rate_limits=True)
    async with app_client(create_app(limited, options)) as client:
        _, period_id = await open_period(client, people.official())
        hasty, other = people.citizen(), people.citizen()
        codes = [
            (await comment(client, period_id, hasty, f"Мысль {n}")).status_code for n in range(6)
        ]
        assert codes == [201] * 5 + [429]
        refused = await comment(client, period_id, hasty, "Ещё одна")
        assert refused.headers["content-type"] == "application/problem+json"
        assert int(refused.headers["retry-after"]) >= 1
        assert (await comment(client, period_id, other, "Моё мнение")).status_code == 201
