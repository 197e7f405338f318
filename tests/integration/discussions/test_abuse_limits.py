"""A citizen commenting faster than a person writes is told to wait; others are unaffected;
the counters in Redis name neither the person nor the address."""

from __future__ import annotations

import dataclasses

from redis.asyncio import Redis

from services.discussions.app import create_app
from services.discussions.settings import DiscussionsSettings
from shared.config import Settings
from tests.harness.asgi import app_client
from tests.harness.logs import captured_logs
from tests.harness.people import People
from tests.harness.redis_dump import redis_dump, strings_in
from tests.harness.sign_in import sign_in
from tests.integration.discussions._support import comment, open_period

FORWARDED = "198.51.100.23"
"""A client address a proxy would report; the services do not trust it, nor log it."""


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


async def test_redis_and_logs_name_nobody_after_sign_in_comments_and_sign_out(
    settings: Settings,
    options: DiscussionsSettings,
    people: People,
    redis_url: str,
) -> None:
    async with Redis.from_url(redis_url) as redis:
        await redis.flushall()
    limited = dataclasses.replace(settings, rate_limits=True)
    app = create_app(limited, options)
    with captured_logs() as logs:
        async with app_client(app) as client:
            client.headers["X-Forwarded-For"] = FORWARDED
            token = await sign_in(client, "citizen-tyumen")
            sub = (await client.get("/me")).json()["sub"]
            client.cookies.clear()
            _, period_id = await open_period(client, people.official())
            writer = people.citizen(sub=sub)
            codes = [
                (await comment(client, period_id, writer, f"Мысль {n}")).status_code
                for n in range(6)
            ]
            assert codes == [201] * 5 + [429]
            out = await client.post("/auth/logout", headers={"Authorization": f"Bearer {token}"})
            assert out.status_code == 204
    dump = await redis_dump(redis_url)
    names = {entry.key.rsplit(":", 1)[0] for entry in dump if entry.key.startswith("rl:")}
    # Commenting counts per person only: an office behind one address is many people.
    assert names == {"rl:sign-in:a", "rl:comment:s"}
    assert strings_in(dump, sub, sub[:16], sub[-16:], "127.0.0.1") == []
    # The log reader: nothing that names the person or where they connect from.
    text = "\n".join(logs)
    for needle in (sub, sub[:16], "127.0.0.1", FORWARDED):
        assert needle not in text
