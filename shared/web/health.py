"""Liveness and readiness.

``/health/live`` answers from memory only: a database or Redis outage must not make the
orchestrator restart healthy pods. ``/health/ready`` runs the service's dependency checks; only
the required ones decide readiness. Redis is a fast path, not a dependency: while it is down
the service keeps working on the database alone, so it stays in the load balancer and reports
itself "degraded".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

import msgspec
from litestar import Controller, Response, get
from litestar.status_codes import HTTP_200_OK, HTTP_503_SERVICE_UNAVAILABLE

__all__ = ("OPTIONAL_CHECKS", "HealthReport", "ReadinessCheck", "health_controller")

ReadinessCheck = tuple[str, Callable[[], Awaitable[object]]]
OPTIONAL_CHECKS = frozenset({"redis"})
"""Checks whose failure degrades the service without taking it out of rotation."""
_CHECK_TIMEOUT_S = 2.0


class HealthReport(msgspec.Struct, kw_only=True):
    status: str
    checks: dict[str, str] = msgspec.field(default_factory=dict)


async def _run(check: Callable[[], Awaitable[object]]) -> str:
    try:
        await asyncio.wait_for(check(), _CHECK_TIMEOUT_S)
    except Exception as exc:  # any failure means not ready; its class tells the operator why
        return f"failing: {type(exc).__name__}"
    return "ok"


def health_controller(checks: Sequence[ReadinessCheck]) -> type[Controller]:
    class HealthController(Controller):
        path = "/health"
        tags = ["health"]  # noqa: RUF012 - Litestar reads it as a class attribute

        @get("/live", sync_to_thread=False)
        def live(self) -> HealthReport:
            return HealthReport(status="ok")

        @get("/ready")
        async def ready(self) -> Response[HealthReport]:
            results = await asyncio.gather(*(_run(fn) for _, fn in checks))
            report = dict(zip((name for name, _ in checks), results, strict=True))
            ok = all(r == "ok" for n, r in report.items() if n not in OPTIONAL_CHECKS)
            degraded = ok and any(r != "ok" for r in report.values())
            status = "degraded" if degraded else "ok" if ok else "failing"
            return Response(
                HealthReport(status=status, checks=report),
                status_code=HTTP_200_OK if ok else HTTP_503_SERVICE_UNAVAILABLE,
                headers=None if ok else {"Retry-After": "5"},
            )

    return HealthController
