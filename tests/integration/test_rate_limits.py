"""Rate limits hold across workers (one Redis counter), answer 429 with Retry-After, stop
nothing while Redis is down, and leave in Redis no subject or address, only keyed hashes that
change every UTC day."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

import pytest
from litestar import Litestar, post
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from redis.asyncio import Redis

from shared.config import load_settings
from shared.web.app import build_app
from shared.web.ratelimit import Limit, RateLimitKeys, RateLimitMiddleware, RateLimitRule
from tests.harness.asgi import app_client
from tests.harness.processes import RedisProcess
from tests.harness.redis_dump import redis_dump, strings_in

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


SECRET = b"s" * 32
SUB = "9c1d4e7f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5"


def _today() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _app(
    redis: Redis,
    who: str,
    *,
    trust_forwarded: bool = False,
    clock: Callable[[], dt.datetime] = _today,
) -> Litestar:
    settings = load_settings({"VMESTE_REDIS_URL": "redis://unused"})
    limits = RateLimitMiddleware(
        redis, RULES, keys=RateLimitKeys(SECRET, clock=clock), trust_forwarded=trust_forwarded
    )
    return build_app(
        service="test",
        version="0",
        settings=settings,
        route_handlers=[_cast, _other],
        middleware=[_SignedIn(who), limits],
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


async def test_redis_holds_no_subject_or_address_only_keyed_hashes(
    redis: Redis, redis_url: str
) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.7, 10.0.0.1"}
    async with app_client(_app(redis, SUB, trust_forwarded=True)) as client:
        codes = [(await client.post("/cast", headers=forwarded)).status_code for _ in range(4)]
    assert codes == [201, 201, 201, 429]
    dump = await redis_dump(redis_url)
    assert len(dump) == 2
    for entry in dump:
        assert re.fullmatch(r"rl:cast:[sa]:[0-9a-f]{32}", entry.key), entry.key
        assert entry.value.isdigit()
    found = strings_in(dump, SUB, SUB[:16], "203.0.113.7", "203.0.113", "10.0.0.1", "127.0.0.1")
    assert found == []
    # Without the secret a reader cannot confirm a guess either: today's name of the address
    # is a keyed hash, not a plain one.
    plain = hashlib.sha256(b"203.0.113.7").hexdigest()[:32]
    assert not any(plain in entry.key for entry in dump)


async def test_counters_of_two_days_have_unrelated_names(redis: Redis, redis_url: str) -> None:
    day = [dt.datetime(2026, 11, 27, 23, 59, tzinfo=dt.UTC)]
    async with app_client(_app(redis, SUB, clock=lambda: day[0])) as client:
        codes = [(await client.post("/cast")).status_code for _ in range(4)]
        assert codes == [201, 201, 201, 429]
        first_day = {entry.key for entry in await redis_dump(redis_url)}
        day[0] = dt.datetime(2026, 11, 28, 0, 0, tzinfo=dt.UTC)
        assert (await client.post("/cast")).status_code == 201
    second_day = {entry.key for entry in await redis_dump(redis_url)} - first_day
    assert len(first_day) == 2
    assert len(second_day) == 2
    suffixes = {key.rsplit(":", 1)[1] for key in first_day}
    assert not suffixes & {key.rsplit(":", 1)[1] for key in second_day}
