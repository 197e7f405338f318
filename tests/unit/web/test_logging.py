"""What the services log: never a person's subject, ESIA oid, client address or headers.

The log reader sees every line; a line with an address or an identifier next to its time
links a person to the moment they signed in or cast.
"""

from __future__ import annotations

import logging

from litestar import Litestar
from litestar.plugins.structlog import StructlogPlugin

from shared.config import load_settings
from shared.web.app import build_app


def _app() -> Litestar:
    return build_app(
        service="test",
        version="0",
        settings=load_settings({"VMESTE_REDIS_URL": "redis://unused"}),
        route_handlers=[],
    )


def test_http_client_request_lines_are_not_logged() -> None:
    # httpx logs every request's URL at INFO; ESIA's person URLs carry the oid.
    _app()
    for name in ("httpx", "httpcore"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO)
    assert logging.getLogger("httpx").isEnabledFor(logging.WARNING)


def test_request_logging_would_log_no_client_headers_cookies_or_body() -> None:
    plugin = next(p for p in _app().plugins if isinstance(p, StructlogPlugin))
    config = plugin._config
    assert config.enable_middleware_logging is False
    fields = set(config.middleware_logging_config.request_log_fields)
    assert fields <= {"path", "method"}
    assert set(config.middleware_logging_config.response_log_fields) <= {"status_code"}
