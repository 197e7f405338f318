"""The cast benchmark gives each profile sample to the stage a reader of the table expects."""

from __future__ import annotations

from bench.floor import Floor
from bench.stages import IDLE, NATIVE, attribute

_LOOP = "BaseEventLoop._run_once (asyncio/base_events.py:1922)"
_MIDDLEWARE = "IdentityMiddleware.handle (shared/identity/middleware.py:91)"


def test_the_innermost_frame_of_our_own_code_names_the_stage() -> None:
    stack = [
        _LOOP,
        _MIDDLEWARE,
        "IdentityService.authenticate (shared/identity/service.py:102)",
        "TokenService.verify (shared/identity/tokens.py:150)",
    ]
    assert attribute(stack) == "token verification"


def test_a_driver_awaited_by_a_stage_counts_for_that_stage() -> None:
    gate = [_LOOP, "RedisGate._run (services/polls/casting/batching.py:88)"]
    assert attribute([*gate, "Connection.read_response (redis/asyncio/connection.py:1)"]) == (
        "Redis gate"
    )
    commit = [_LOOP, "CastStore.write (services/polls/casting/store.py:120)"]
    assert attribute([*commit, "Connection.execute (asyncpg/connection.py:1)"]) == (
        "pool/group commit"
    )


def test_framework_code_inside_the_middleware_is_the_framework() -> None:
    routing = "HTTPRoute.handle (litestar/routes/http.py:80)"
    assert attribute([_LOOP, _MIDDLEWARE, routing]) == "framework (routing, DI, ASGI)"
    assert attribute([_LOOP, _MIDDLEWARE]) == "middleware (identity, headers)"


def test_waiting_and_native_samples_are_told_apart() -> None:
    assert attribute([_LOOP, "EpollSelector.select (selectors.py:468)"]) == IDLE
    assert attribute([]) == NATIVE


def test_the_floor_allows_the_bare_cost_over_the_bare_cost_plus_the_floor() -> None:
    floor = Floor((("verify", 50.0), ("sign", 50.0)))
    # 2 workers at 20,000/s: 100 µs per request; plus 100 µs of floor: half the rate.
    assert floor.allowed_ratio(20_000, workers=2) == 0.5


def test_the_request_metrics_middleware_counts_as_metrics_not_what_it_wraps() -> None:
    metrics = "RequestMetricsMiddleware.__call__ (shared/web/metrics.py:90)"
    assert attribute([_LOOP, metrics]) == "metrics (Prometheus)"
    assert attribute([_LOOP, metrics, _MIDDLEWARE]) == ("middleware (identity, headers)")


def test_the_abuse_limit_and_its_redis_round_trip_are_one_stage() -> None:
    limit = "RateLimitMiddleware._over_limit (shared/web/ratelimit.py:270)"
    redis = "AsyncScript.__call__ (redis/commands/core.py:11007)"
    assert attribute([_LOOP, _MIDDLEWARE, limit, redis]) == "rate limit (Redis script)"


def test_the_route_inside_the_abuse_limit_middleware_is_not_the_abuse_limit() -> None:
    handle = "RateLimitMiddleware.handle (shared/web/ratelimit.py:326)"
    routing = "HTTPRoute.handle (litestar/routes/http.py:80)"
    assert attribute([_LOOP, _MIDDLEWARE, handle, routing]) == "framework (routing, DI, ASGI)"
    assert attribute([_LOOP, _MIDDLEWARE, handle]) == "middleware (identity, headers)"
