"""Rate limits hold across workers (one Redis counter), answer 429 with Retry-After, and stop
nothing while Redis is down."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from litestar import Litestar, post
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import Redis

from shared.config import load_settings
from shared.web.app import build_app
from shared.web.ratelimit import Limit, RateLimitMiddleware, RateLimitRule
from tests.harness.asgi import app_client
from tests.harness.processes import RedisProcess

RULES = (
    RateLimitRule(
        name="cast",
        path=re.compile(r"^/cast$"),
        methods=frozenset({"POST"}),
        per_subject=Limit(3, 60),
        per_address=Limit(5, 60),
    ),
)


@dataclass(frozen=True)
class _User:
    sub: str


@post("/cast", status_code=201)
async def _cast() -> dict[str, str]:
    return {"ok": "yes"}


@post("/other", status_code=201)
async def _other() -> dict[str, str]:
    return {"ok": "yes"}


class _SignedIn(ASGIMiddleware):
    """Stands in for the identity middleware: the request's subject."""

    def __init__(self, who: str) -> None:
        self.who = who

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = _User(self.who)
        await next_app(scope, receive, send)


def _app(redis: Redis, who: str) -> Litestar:
    settings = load_settings({"VMESTE_REDIS_URL": "redis://unused"})
    return build_app(
        service="test",
        version="0",
        settings=settings,
        route_handlers=[_cast, _other],
        middleware=[_SignedIn(who), RateLimitMiddleware(redis, RULES)],
    )


@pytest.fixture
async def redis(redis_url: str) -> AsyncIterator[Redis]:
    client = Redis.from_url(redis_url)
    await client.flushall()
    yield client
    await client.aclose()


async def test_subject_over_its_limit_gets_429_with_retry_after(redis: Redis) -> None:
    async with app_client(_app(redis, "alice")) as client:
        codes = [(await client.post("/cast")).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        refused = await client.post("/cast")
        assert refused.headers["content-type"] == "application/problem+json"
        assert 0 < int(refused.headers["retry-after"]) <= 60
        assert refused.json()["status"] == 429
        assert (await client.post("/other")).status_code == 201


async def test_limit_is_shared_by_separate_app_instances(redis: Redis, redis_url: str) -> None:
    other_worker = Redis.from_url(redis_url)
    async with (
        app_client(_app(redis, "bob")) as worker_one,
        app_client(_app(other_worker, "bob")) as worker_two,
    ):
        assert (await worker_one.post("/cast")).status_code == 201
        assert (await worker_two.post("/cast")).status_code == 201
        assert (await worker_one.post("/cast")).status_code == 201
        assert (await worker_two.post("/cast")).status_code == 429
    await other_worker.aclose()


async def test_address_limit_covers_many_subjects(redis: Redis) -> None:
    codes = []
    for n in range(6):
        async with app_client(_app(redis, f"person-{n}")) as client:
            codes.append((await client.post("/cast")).status_code)
    assert codes == [201] * 5 + [429]


async def test_requests_go_through_while_redis_is_down(
    redis: Redis, redis_server: RedisProcess
) -> None:
    redis_server.kill()
    try:
        async with app_client(_app(redis, "carol")) as client:
            codes = [(await client.post("/cast")).status_code for _ in range(6)]
        assert codes == [201] * 6
    finally:
        redis_server.restart()
