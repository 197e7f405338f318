"""Rate limits hold across workers (one Redis counter), answer 429 with Retry-After, fall back
to a counter inside the process while Redis is down (never off), believe X-Forwarded-For only
from a trusted proxy, and leave in Redis no subject or address, only keyed hashes that change
every UTC day."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import ipaddress
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
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
    # Like the services' own: casting counts per subject, the anonymous sign-in per address.
    RateLimitRule(
        name="cast",
        path=re.compile(r"^/cast$"),
        methods=frozenset({"POST"}),
        per_subject=Limit(3, 60),
    ),
    RateLimitRule(
        name="sign-in",
        path=re.compile(r"^/sign-in$"),
        methods=frozenset({"POST"}),
        per_address=Limit(5, 60),
    ),
)
PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


@dataclass(frozen=True)
class _User:
    sub: str


@post("/cast", status_code=201)
async def _cast() -> dict[str, str]:
    return {"ok": "yes"}


@post("/sign-in", status_code=201)
async def _sign_in() -> dict[str, str]:
    return {"ok": "yes"}


@post("/other", status_code=201)
async def _other() -> dict[str, str]:
    return {"ok": "yes"}


class _SignedIn(ASGIMiddleware):
    """Stands in for the identity middleware: the request's subject (None: anonymous)."""

    def __init__(self, who: str | None) -> None:
        self.who = who

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        scope["user"] = _User(self.who) if self.who is not None else None
        await next_app(scope, receive, send)


SECRET = b"s" * 32
SUB = "9c1d4e7f0a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5"


def _today() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _app(
    redis: Redis,
    who: str | None,
    *,
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = PROXIES,
    clock: Callable[[], dt.datetime] = _today,
) -> Litestar:
    settings = load_settings({"VMESTE_REDIS_URL": "redis://unused"})
    limits = RateLimitMiddleware(
        redis, RULES, keys=RateLimitKeys(SECRET, clock=clock), trusted_proxies=trusted_proxies
    )
    return build_app(
        service="test",
        version="0",
        settings=settings,
        route_handlers=[_cast, _sign_in, _other],
        middleware=[_SignedIn(who), limits],
    )


@asynccontextmanager
async def _from(app: Litestar, peer: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client whose TCP peer address, as the app sees it, is ``peer``."""
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app, client=(peer, 40000))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client


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


async def test_concurrent_requests_sharing_one_script_call_are_each_counted(
    redis: Redis,
) -> None:
    async with app_client(_app(redis, "carol")) as client:
        replies = await asyncio.gather(*(client.post("/cast") for _ in range(7)))
        codes = sorted(reply.status_code for reply in replies)
        assert codes == [201] * 3 + [429] * 4
        assert all(0 < int(r.headers["retry-after"]) <= 60 for r in replies if r.status_code == 429)
        assert (await client.post("/sign-in")).status_code == 201


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


async def test_address_limit_covers_an_anonymous_route(redis: Redis) -> None:
    codes = []
    for _ in range(6):
        async with app_client(_app(redis, None)) as client:
            codes.append((await client.post("/sign-in")).status_code)
    assert codes == [201] * 5 + [429]


async def test_casting_is_not_limited_per_address(redis: Redis) -> None:
    # Twenty people behind one office address cast: none is refused for the others' sake.
    codes = []
    for n in range(20):
        async with _from(_app(redis, f"person-{n}"), "198.51.100.20") as client:
            codes.append((await client.post("/cast")).status_code)
    assert codes == [201] * 20


async def test_spoofed_forwarded_headers_from_an_untrusted_peer_change_nothing(
    redis: Redis, redis_url: str
) -> None:
    # The peer is not a trusted proxy: whatever X-Forwarded-For it sends, it is one address.
    codes = []
    async with _from(_app(redis, None), "198.51.100.9") as client:
        for n in range(8):
            spoof = {"X-Forwarded-For": f"203.0.113.{n}, 10.0.0.{n}"}
            codes.append((await client.post("/sign-in", headers=spoof)).status_code)
    assert codes == [201] * 5 + [429] * 3
    keys = {entry.key for entry in await redis_dump(redis_url)}
    assert len(keys) == 1
    # The same peer without any header shares that one counter.
    async with _from(_app(redis, None), "198.51.100.9") as client:
        assert (await client.post("/sign-in")).status_code == 429
    assert {entry.key for entry in await redis_dump(redis_url)} == keys


async def test_many_citizens_behind_one_trusted_proxy_are_not_locked_out_by_one_abuser(
    redis: Redis,
) -> None:
    async with _from(_app(redis, None), "10.1.2.3") as ingress:
        # The abuser floods sign-in and, once refused, forges left-most hops: the ingress
        # appends the address it saw, so the right-most untrusted hop is still the abuser.
        abuser = [
            (await ingress.post("/sign-in", headers={"X-Forwarded-For": "192.0.2.66"}))
            for _ in range(6)
        ]
        assert [r.status_code for r in abuser] == [201] * 5 + [429]
        for n in range(5):
            forged = {"X-Forwarded-For": f"203.0.113.{n}, 192.0.2.66, 10.9.9.9"}
            assert (await ingress.post("/sign-in", headers=forged)).status_code == 429
        # Everyone else behind the same ingress signs in.
        others = [
            (await ingress.post("/sign-in", headers={"X-Forwarded-For": f"192.0.2.{n}"}))
            for n in range(1, 41)
        ]
        assert [r.status_code for r in others] == [201] * 40
        # An IPv6 client through two trusted hops (another proxy in front of the ingress).
        v6 = {"X-Forwarded-For": "2001:db8::7, fd00::1"}
        assert (await ingress.post("/sign-in", headers=v6)).status_code == 201


async def test_the_process_limits_a_flood_while_redis_is_down(
    redis: Redis, redis_server: RedisProcess
) -> None:
    redis_server.kill()
    try:
        async with app_client(_app(redis, "carol")) as client:
            codes = [(await client.post("/cast")).status_code for _ in range(50)]
            assert (await client.post("/other")).status_code == 201  # nothing else stops
        assert codes == [201] * 3 + [429] * 47
        async with _from(_app(redis, None), "198.51.100.77") as anonymous:
            sign_ins = [(await anonymous.post("/sign-in")).status_code for _ in range(50)]
        assert sign_ins == [201] * 5 + [429] * 45
    finally:
        redis_server.restart()


async def test_redis_holds_no_subject_or_address_only_keyed_hashes(
    redis: Redis, redis_url: str
) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.7, 10.0.0.1"}
    async with _from(_app(redis, SUB), "10.0.0.2") as client:
        codes = [(await client.post("/cast", headers=forwarded)).status_code for _ in range(4)]
        assert (await client.post("/sign-in", headers=forwarded)).status_code == 201
    assert codes == [201, 201, 201, 429]
    dump = await redis_dump(redis_url)
    assert len(dump) == 2
    for entry in dump:
        assert re.fullmatch(r"rl:(cast:s|sign-in:a):[0-9a-f]{32}", entry.key), entry.key
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
    assert len(first_day) == 1
    assert len(second_day) == 1
    suffixes = {key.rsplit(":", 1)[1] for key in first_day}
    assert not suffixes & {key.rsplit(":", 1)[1] for key in second_day}
