"""The second baseline of the cast benchmark: the polls service's own stack, no casting.

Assembled exactly as :func:`services.polls.app.create_app` assembles the service (the shared
``build_app``: Prometheus metrics, request ids and security headers, structured logs, problem
handlers; identity middleware and dependencies; the polls rate-limit rules), but with one
route of its own: an authenticated POST that decodes the cast body and returns a small JSON
object. Its rate against the bare POST is what the stack costs; against the casts, what
casting costs. The route exists only in this benchmark's app, never in the service.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from litestar import Litestar, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from services.polls.casting.schemas import CastRequest
from services.polls.rate_limits import RULES
from services.polls.tables import TABLES
from shared.config import get_settings
from shared.identity import Session, identity_components
from shared.version import VERSION
from shared.web.app import build_app
from shared.web.ratelimit import RateLimitMiddleware
from shared.web.runtime import runtime_lifespan

__all__ = ("NOOP_PATH", "stack_app")

NOOP_PATH = "/api/v1/bench/noop"

# The no-op route is counted exactly as a cast is (per subject), so its abuse-limit round trip
# is part of the stack this baseline measures.
_CAST_RULE = next(rule for rule in RULES if rule.name == "cast")
_NOOP_RULE = replace(_CAST_RULE, name="bench-noop", path=re.compile(f"^{re.escape(NOOP_PATH)}$"))


@post(NOOP_PATH, sync_to_thread=False)
def _noop(session: NamedDependency[Session], data: JSONBody[CastRequest]) -> dict[str, Any]:
    return {"ok": True, "answers": len(data.answers), "trusted": session.trusted}


def stack_app() -> Litestar:
    settings = get_settings()
    runtime, lifespan = runtime_lifespan("polls", settings, TABLES)
    identity = identity_components(settings, service="polls")
    return build_app(
        service="polls",
        version=VERSION,
        settings=settings,
        route_handlers=[*identity.route_handlers, _noop],
        readiness=[*runtime.readiness(), *identity.readiness],
        lifespan=[lifespan, *identity.lifespan],
        middleware=[
            *identity.middleware,
            RateLimitMiddleware(
                runtime.redis,
                (*RULES, _NOOP_RULE),
                keys=identity.rate_limit_keys,
                trusted_proxies=settings.trusted_proxies,
                enabled=settings.rate_limits,
            ),
        ],
        dependencies=identity.dependencies,
    )
