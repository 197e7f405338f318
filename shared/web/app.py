"""The one place a service's Litestar application is assembled from shared parts."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any, Protocol

from litestar import Litestar
from litestar.config.response_cache import ResponseCacheConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.logging.config import StructLoggingConfig
from litestar.middleware.logging import LoggingMiddlewareConfig
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, YamlRenderPlugin
from litestar.plugins.prometheus import PrometheusConfig, PrometheusController
from litestar.plugins.structlog import StructlogConfig, StructlogPlugin
from litestar.types import ControllerRouterHandler, Middleware

from shared.web.dependency_batches import resolve_synchronous_batches_in_a_row
from shared.web.headers import add_response_headers
from shared.web.health import ReadinessCheck, health_controller
from shared.web.heap import freeze_startup_heap, thaw_heap
from shared.web.metrics import RequestMetricsMiddleware
from shared.web.openapi import document_problems
from shared.web.problems import exception_handlers

__all__ = ("AppLimits", "build_app")

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


class AppLimits(Protocol):
    """What the assembly reads from a service's settings (the platform's ``Settings`` or a
    standalone service's own)."""

    @property
    def max_body_bytes(self) -> int:
        """Largest accepted request body; larger ones get 413."""
        ...


class _MetricsController(PrometheusController):
    path = "/metrics"
    include_in_schema = False


_QUIET_LOGGERS = ("httpx", "httpcore")
"""HTTP clients log every request's URL at INFO; ESIA's person URLs carry the oid, and a
log line with an oid and a time says who signed in when. Their warnings still show."""


def _structlog_config() -> StructLoggingConfig:
    config = StructLoggingConfig(log_exceptions="debug")
    stdlib = config.standard_lib_logging_config  # set by the config itself
    if stdlib is not None:
        for name in _QUIET_LOGGERS:
            stdlib.loggers[name] = {"level": "WARNING", "propagate": True}
    return config


def build_app(
    *,
    service: str,
    version: str,
    settings: AppLimits,
    route_handlers: Sequence[ControllerRouterHandler],
    readiness: Sequence[ReadinessCheck] = (),
    lifespan: Sequence[Lifespan] = (),
    dependencies: Mapping[str, Provide] | None = None,
    middleware: Sequence[Middleware] = (),
    plugins: Sequence[Any] = (),
    state: Mapping[str, Any] | None = None,
    debug: bool = False,
) -> Litestar:
    """Assemble a service: problem+json errors, request ids, security headers, health,
    Prometheus metrics, structured logs and OpenAPI at ``/schema`` (its errors documented as
    the problem+json they are)."""
    prometheus = PrometheusConfig(
        app_name=f"vmeste_{service}",
        prefix="vmeste",
        group_path=True,
        exclude=["/metrics", "/health"],
        middleware_class=RequestMetricsMiddleware,
    )
    resolve_synchronous_batches_in_a_row()
    logging = StructlogConfig(
        structlog_logging_config=_structlog_config(),
        enable_middleware_logging=False,
        # Off, and were it switched on it would log no client, header, cookie, query or body.
        middleware_logging_config=LoggingMiddlewareConfig(
            request_log_fields=["path", "method"], response_log_fields=["status_code"]
        ),
    )
    app = Litestar(
        route_handlers=[health_controller(readiness), _MetricsController, *route_handlers],
        exception_handlers=exception_handlers,
        middleware=[prometheus.middleware, *middleware],
        before_send=[add_response_headers],
        plugins=[StructlogPlugin(config=logging), *plugins],
        lifespan=list(lifespan),
        # After every lifespan has started: what exists then lives as long as the app.
        on_startup=[freeze_startup_heap],
        on_shutdown=[thaw_heap],
        dependencies=dict(dependencies or {}),
        openapi_config=OpenAPIConfig(
            title=f"Vmeste {service}",
            version=version,
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), YamlRenderPlugin()],
        ),
        request_max_body_size=settings.max_body_bytes,
        response_cache_config=ResponseCacheConfig(),
        state=State({"service": service, **(state or {})}),
        debug=debug,
    )
    document_problems(app)
    return app
