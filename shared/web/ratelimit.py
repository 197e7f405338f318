"""Abuse limits shared by every worker and replica: one Redis script call per batch of requests.

Litestar's own rate limiter counts per process; a citizen's requests spread over several
workers and pods, so the counters live in Redis and are bumped atomically by one Lua script
for all the keys a request touches (its subject and its address), and for every request of a
worker that arrived while the previous script call was out (one round trip per batch, as the
cast's Redis gate does). While Redis is down a
counter inside each process takes over (:class:`LocalCounters`): coarser, since each worker
counts alone, but never off; nothing else stops working.

The address of a request is its peer's, unless the peer is one of the trusted reverse proxies
(``VMESTE_TRUSTED_PROXIES``): then it is the right-most ``X-Forwarded-For`` hop that is not a
trusted proxy itself (:func:`client_address`). Hops to the left of it were written by the
client and are never believed. Per-address limits are kept for anonymous routes (sign-in);
routes that need a signed-in person count per subject, so the many citizens behind one
office or carrier address are not locked out by one of them.

A counter's key never holds the subject or the address itself, only a keyed hash of it under
a key that changes every UTC day (:class:`RateLimitKeys`): a Redis dump names nobody, and the
counters of one person on two days cannot be linked. The secret behind the day keys is one
the services hold and that never goes to Redis or a database (see ``identity_components``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import ipaddress
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

import msgspec
import structlog
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, HTTPResponseStartEvent, HTTPScope, Receive, Scope, Send
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.web.headers import request_id
from shared.web.problems import PROBLEM_MEDIA_TYPE

__all__ = (
    "SIGN_IN_RULES",
    "Limit",
    "LocalCounters",
    "RateLimitKeys",
    "RateLimitMiddleware",
    "RateLimitRule",
    "client_address",
)

_log = structlog.get_logger("vmeste.ratelimit")

# For each request of a batch (ARGV[1] of them; each gives its key count, then limit and
# window per key): INCR its keys in order, set a key's window on first use, and stop at the
# first key over its limit, reporting its index and the seconds left in its window ({0, 0}
# if none). One round trip for every request that arrived while the previous one was out.
_SCRIPT = """
local out = {}
local k, a = 1, 2
for r = 1, tonumber(ARGV[1]) do
  local count = tonumber(ARGV[a]); a = a + 1
  local hit, wait = 0, 0
  for i = 1, count do
    local key, limit, window = KEYS[k], tonumber(ARGV[a]), tonumber(ARGV[a + 1])
    k = k + 1; a = a + 2
    if hit == 0 then
      local n = redis.call('INCR', key)
      if n == 1 then redis.call('EXPIRE', key, window) end
      if n > limit then
        local ttl = redis.call('TTL', key)
        if ttl < 0 then redis.call('EXPIRE', key, window); ttl = window end
        hit, wait = i, ttl
      end
    end
  end
  out[#out + 1] = hit; out[#out + 1] = wait
end
return out
"""
# Requests per script call: bounds one call's work while still sharing the round trip widely.
_MAX_BATCH = 256
_REDIS_PAUSE_S = 5.0
_DAY_LABEL = b"vmeste/ratelimit/v1"
_DIGEST_HEX = 32
_MIN_SECRET_BYTES = 32


@dataclass(frozen=True, slots=True)
class Limit:
    requests: int
    per_seconds: int


@dataclass(frozen=True, slots=True)
class RateLimitRule:
    """Requests matching ``methods`` and ``path`` count against these limits."""

    name: str
    path: re.Pattern[str]
    methods: frozenset[str]
    per_subject: Limit | None = None
    per_address: Limit | None = None


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class RateLimitKeys:
    """Redis key names of the counters: ``rl:<rule>:<s|a>:<HMAC(day key, rule, kind, value)>``.

    The day key is ``HMAC(secret, "vmeste/ratelimit/v1" 0x00 <UTC date>)``, so the key of a
    subject or address is stable within a UTC day (its counters work) and unrelated across
    days. Rule and kind go into the hash too: one person's cast and sign-in counters do not
    share a name. A window that spans midnight UTC starts again at midnight.
    """

    def __init__(self, secret: bytes, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        if len(secret) < _MIN_SECRET_BYTES:
            raise ValueError(f"the rate-limit secret must be at least {_MIN_SECRET_BYTES} bytes")
        self._secret = secret
        self._clock = clock
        self._day: tuple[dt.date, bytes] | None = None

    def day_key(self, day: dt.date) -> bytes:
        cached = self._day
        if cached is not None and cached[0] == day:
            return cached[1]
        key = hmac.digest(self._secret, _DAY_LABEL + b"\x00" + day.isoformat().encode(), "sha256")
        self._day = (day, key)
        return key

    def key(self, rule: str, kind: str, value: str) -> str:
        """The counter of ``value`` (a subject for kind ``s``, an address for ``a``) today."""
        day = self._clock().astimezone(dt.UTC).date()
        message = f"{rule}\x00{kind}\x00{value}".encode()
        digest = hmac.digest(self.day_key(day), message, "sha256").hex()
        return f"rl:{rule}:{kind}:{digest[:_DIGEST_HEX]}"


_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _parse_address(text: str) -> _Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # [v6]:port
        text = text[1 : text.index("]")]
    elif text.count(":") == 1:  # v4:port
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: _Address | None, proxies: Sequence[_Network]) -> bool:
    return address is not None and any(address in network for network in proxies)


def client_address(scope: Scope, trusted_proxies: Sequence[_Network] = ()) -> str:
    """The address a request is counted under.

    The peer's address, unless the peer is a trusted proxy: then the right-most hop of
    ``X-Forwarded-For`` (all such headers, in order) that is not a trusted proxy. A hop that
    is not an address ends the walk and counts as given (a proxy wrote it, so it is what the
    client sent); if every hop is trusted, the left-most one is the client.
    """
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if not trusted_proxies or not _trusted(_parse_address(peer), trusted_proxies):
        return peer
    hops = [
        hop.strip()
        for name, value in scope.get("headers", ())
        if name == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
        if hop.strip()
    ]
    for hop in reversed(hops):
        address = _parse_address(hop)
        if address is None:
            return hop[:64]
        if not _trusted(address, trusted_proxies):
            return str(address)
    return hops[0][:64] if hops else peer


class LocalCounters:
    """Fixed-window counters inside one process: the limiter while Redis cannot answer.

    The same keys and limits as in Redis, but each process counts alone (so the effective
    limit is the figure times the workers), and windows are bucketed by the clock rather than
    started at the first request. At most ``capacity`` counters are held; past that the
    expired ones go, and if none has expired the request is refused rather than uncounted.
    """

    def __init__(
        self, capacity: int = 100_000, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._capacity = capacity
        self._clock = clock
        self._counts: dict[str, tuple[float, int]] = {}

    def __len__(self) -> int:
        return len(self._counts)

    def _sweep(self, now: float) -> None:
        self._counts = {k: v for k, v in self._counts.items() if v[0] > now}

    def hit(self, keys: Iterable[str], args: Sequence[int]) -> int | None:
        """Count one request on each key; seconds to wait if one is over its limit, else None."""
        now = self._clock()
        for i, key in enumerate(keys):
            limit, window = args[2 * i], args[2 * i + 1]
            ends, count = self._counts.get(key, (0.0, 0))
            if ends <= now:
                if key not in self._counts and len(self._counts) >= self._capacity:
                    self._sweep(now)
                    if len(self._counts) >= self._capacity:
                        return window
                ends, count = now + window, 0
            count += 1
            self._counts[key] = (ends, count)
            if count > limit:
                return max(1, int(ends - now))
        return None


class RateLimitMiddleware(ASGIMiddleware):
    """Answer 429 problem+json with Retry-After once a subject or an address is over a limit."""

    scopes = (ScopeType.HTTP,)

    def __init__(
        self,
        redis: Redis,
        rules: Sequence[RateLimitRule],
        *,
        keys: RateLimitKeys,
        trusted_proxies: Sequence[_Network] = (),
        enabled: bool = True,
        local: LocalCounters | None = None,
    ) -> None:
        self._redis = redis
        self._names = keys
        self._script = redis.register_script(_SCRIPT)
        self._rules = tuple(rules) if enabled else ()
        self._trusted_proxies = tuple(trusted_proxies)
        self._local = local if local is not None else LocalCounters()
        self._paused_until = 0.0
        self._pending: list[tuple[list[str], list[int], asyncio.Future[int | None]]] = []
        self._drain: asyncio.Task[None] | None = None

    def _keys(self, scope: Scope) -> tuple[list[str], list[int]]:
        method, path = cast("HTTPScope", scope)["method"], scope["path"]
        keys: list[str] = []
        args: list[int] = []
        user: Any = scope.get("user")
        for rule in self._rules:
            if method not in rule.methods or not rule.path.match(path):
                continue
            if rule.per_subject is not None and user is not None:
                keys.append(self._names.key(rule.name, "s", str(user.sub)))
                args += [rule.per_subject.requests, rule.per_subject.per_seconds]
            if rule.per_address is not None:
                address = client_address(scope, self._trusted_proxies)
                keys.append(self._names.key(rule.name, "a", address))
                args += [rule.per_address.requests, rule.per_address.per_seconds]
        return keys, args

    async def _over_limit(self, keys: list[str], args: list[int]) -> int | None:
        """Seconds to wait if over a limit, else None; counted in this process without Redis.

        Requests arriving while a script call is out queue up and share the next one.
        """
        if time.monotonic() < self._paused_until:
            return self._local.hit(keys, args)
        loop = asyncio.get_running_loop()
        future: asyncio.Future[int | None] = loop.create_future()
        if self._drain is None or self._drain.get_loop() is not loop:
            # A drain of another (finished) event loop cannot serve this one.
            self._pending = []
            self._drain = loop.create_task(self._counted(), name="rate-limit-counters")
        self._pending.append((keys, args, future))
        return await future

    async def _counted(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:_MAX_BATCH]
                del self._pending[:_MAX_BATCH]
                keys = [key for request_keys, _, _ in batch for key in request_keys]
                args = [len(batch)]
                for request_keys, request_args, _ in batch:
                    args += [len(request_keys), *request_args]
                try:
                    raw = await self._script(keys=keys, args=args)
                    waits = [
                        int(raw[2 * i + 1]) if int(raw[2 * i]) else None for i in range(len(batch))
                    ]
                except (RedisError, OSError):
                    self._paused_until = time.monotonic() + _REDIS_PAUSE_S
                    _log.warning("rate limits counted per process: Redis unreachable")
                    waits = [self._local.hit(k, a) for k, a, _ in batch]
                for (_, _, future), wait in zip(batch, waits, strict=True):
                    if not future.done():
                        future.set_result(wait)
        finally:
            self._drain = None

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        keys, args = self._keys(scope)
        wait = await self._over_limit(keys, args) if keys else None
        if wait is None:
            await next_app(scope, receive, send)
            return
        body = msgspec.json.encode(
            {
                "type": "https://vmeste.example/problems/rate-limited",
                "title": "Too many requests",
                "status": 429,
                "detail": f"Wait {wait} seconds, then try again.",
                "instance": scope["path"],
                "request_id": request_id(scope),
            }
        )
        start: HTTPResponseStartEvent = {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", PROBLEM_MEDIA_TYPE.encode()),
                (b"retry-after", str(max(wait, 1)).encode()),
                (b"content-length", str(len(body)).encode()),
            ],
        }
        await send(start)
        await send({"type": "http.response.body", "body": body, "more_body": False})


SIGN_IN_RULES = (
    RateLimitRule(
        name="sign-in",
        path=re.compile(r"^/auth/(login|callback|dev)"),
        methods=frozenset({"GET", "POST"}),
        per_address=Limit(30, 60),
    ),
)
"""Both services serve sign-in: one address may start or finish 30 sign-ins a minute."""
