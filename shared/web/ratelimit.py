"""Abuse limits shared by every worker and replica: one Redis script per request.

Litestar's own rate limiter counts per process; a citizen's requests spread over several
workers and pods, so the counters live in Redis and are bumped atomically by one Lua script
for all the keys a request touches (its subject and its address). Redis is a fast path here
too: while it is down, limits are not enforced (logged), and nothing else stops working.

A counter's key never holds the subject or the address itself, only a keyed hash of it under
a key that changes every UTC day (:class:`RateLimitKeys`): a Redis dump names nobody, and the
counters of one person on two days cannot be linked. The secret behind the day keys is one
the services hold and that never goes to Redis or a database (see ``identity_components``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import time
from collections.abc import Callable, Sequence
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

__all__ = ("SIGN_IN_RULES", "Limit", "RateLimitKeys", "RateLimitMiddleware", "RateLimitRule")

_log = structlog.get_logger("vmeste.ratelimit")

# For each key i: INCR, set its window on first use, and report the first key over its limit
# with the seconds left in its window. One round trip however many keys.
_SCRIPT = """
for i, key in ipairs(KEYS) do
  local n = redis.call('INCR', key)
  local window = tonumber(ARGV[2 * i])
  if n == 1 then redis.call('EXPIRE', key, window) end
  if n > tonumber(ARGV[2 * i - 1]) then
    local ttl = redis.call('TTL', key)
    if ttl < 0 then redis.call('EXPIRE', key, window); ttl = window end
    return {i, ttl}
  end
end
return {0, 0}
"""
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
        key = hmac.new(
            self._secret, _DAY_LABEL + b"\x00" + day.isoformat().encode(), hashlib.sha256
        ).digest()
        self._day = (day, key)
        return key

    def key(self, rule: str, kind: str, value: str) -> str:
        """The counter of ``value`` (a subject for kind ``s``, an address for ``a``) today."""
        day = self._clock().astimezone(dt.UTC).date()
        message = f"{rule}\x00{kind}\x00{value}".encode()
        digest = hmac.new(self.day_key(day), message, hashlib.sha256).hexdigest()
        return f"rl:{rule}:{kind}:{digest[:_DIGEST_HEX]}"


def _client_address(scope: Scope, trust_forwarded: bool) -> str:
    if trust_forwarded:
        for name, value in scope.get("headers", ()):
            if name == b"x-forwarded-for":
                return value.decode("latin-1").split(",")[0].strip()
    client = scope.get("client")
    return str(client[0]) if client else "unknown"


class RateLimitMiddleware(ASGIMiddleware):
    """Answer 429 problem+json with Retry-After once a subject or an address is over a limit."""

    scopes = (ScopeType.HTTP,)

    def __init__(
        self,
        redis: Redis,
        rules: Sequence[RateLimitRule],
        *,
        keys: RateLimitKeys,
        trust_forwarded: bool = False,
        enabled: bool = True,
    ) -> None:
        self._redis = redis
        self._names = keys
        self._script = redis.register_script(_SCRIPT)
        self._rules = tuple(rules) if enabled else ()
        self._trust_forwarded = trust_forwarded
        self._paused_until = 0.0

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
                address = _client_address(scope, self._trust_forwarded)
                keys.append(self._names.key(rule.name, "a", address))
                args += [rule.per_address.requests, rule.per_address.per_seconds]
        return keys, args

    async def _over_limit(self, keys: list[str], args: list[int]) -> int | None:
        """Seconds to wait if over a limit, else None (also when Redis cannot answer)."""
        if time.monotonic() < self._paused_until:
            return None
        try:
            index, ttl = await self._script(keys=keys, args=args)
        except (RedisError, OSError):
            self._paused_until = time.monotonic() + _REDIS_PAUSE_S
            _log.warning("rate limits not enforced: Redis unreachable")
            return None
        return int(ttl) if int(index) else None

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
