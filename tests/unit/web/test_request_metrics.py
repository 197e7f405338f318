"""Request metrics: the lean middleware exposes exactly what Litestar's Prometheus plugin does."""

from __future__ import annotations

import re

from litestar import Litestar, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody
from litestar.plugins.prometheus import (
    PrometheusConfig,
    PrometheusController,
    PrometheusMiddleware,
)
from litestar.testing import TestClient
from prometheus_client import REGISTRY, generate_latest

from shared.web.metrics import RequestMetricsMiddleware


@get("/items/{item:int}", sync_to_thread=False)
def _item(item: FromPath[int]) -> dict[str, int]:
    if item == 0:
        raise NotFoundException()
    if item < 0:
        raise RuntimeError("boom")
    return {"item": item}


@post("/items", sync_to_thread=False)
def _add(data: JSONBody[dict[str, int]]) -> dict[str, int]:
    return data


class _Metrics(PrometheusController):
    path = "/metrics"


def _app(prefix: str, lean: bool) -> Litestar:
    config = PrometheusConfig(
        app_name="vmeste_test",
        prefix=prefix,
        group_path=True,
        exclude=["/metrics"],
        middleware_class=RequestMetricsMiddleware if lean else PrometheusMiddleware,
    )
    return Litestar([_item, _add, _Metrics], middleware=[config.middleware])


def _exercise(app: Litestar) -> None:
    with TestClient(app) as client:
        for item in (1, 2, 0, -1, 3):
            client.get(f"/items/{item}")
        client.post("/items", json={"a": 1})
        client.post("/items", content=b"not json")


def _series(prefix: str) -> list[str]:
    """The exposition of one prefix, durations and creation times left out (they differ)."""
    text = generate_latest(REGISTRY).decode()
    lines = [line.replace(prefix, "P") for line in text.splitlines() if prefix in line]
    kept = [line for line in lines if "_created" not in line and "_sum" not in line]
    return [re.sub(r"(_bucket\{.*\}) .*", r"\1", line) for line in kept]


def test_the_same_requests_give_the_same_series_as_the_plugin() -> None:
    _exercise(_app("plugin_metrics", lean=False))
    _exercise(_app("lean_metrics", lean=True))
    lean = _series("lean_metrics")
    assert lean == _series("plugin_metrics")
    assert any('status_code="500"' in line and "error_total" in line for line in lean)
    assert any('path="/items/{item}"' in line and 'status_code="404"' in line for line in lean)
    assert not any("error_total" in line and 'status_code="200"' in line for line in lean)
