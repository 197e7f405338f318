"""The alert rules and the dashboard only use metrics the services really export."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml  # type: ignore[import-untyped]
from litestar import get
from litestar.testing import TestClient

import shared.metrics  # noqa: F401 - registers the platform's metric families
from shared.config import load_settings
from shared.web.app import build_app
from shared.web.problems import ProblemError

OBSERVABILITY = Path(__file__).resolve().parents[2] / "deploy" / "observability"
_METRIC = re.compile(r"\bvmeste_[a-z_]+\b")
_SUFFIXES = ("_bucket", "_count", "_sum", "_total", "_created")


def _family(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


@get("/refuse")
async def _refuse() -> None:
    raise ProblemError(409, "already-voted", "Already voted")


def _exported_families() -> set[str]:
    settings = load_settings({"VMESTE_REDIS_URL": "redis://127.0.0.1:1/0"})
    app = build_app(service="polls", version="0", settings=settings, route_handlers=[_refuse])
    with TestClient(app) as client:
        client.get("/refuse")
        text = client.get("/metrics").text
    names = set(re.findall(r"^# (?:HELP|TYPE) (\w+)", text, re.MULTILINE))
    names |= set(re.findall(r"^(vmeste_\w+)", text, re.MULTILINE))
    return {_family(n) for n in names}


def _rules() -> list[dict[str, object]]:
    document = yaml.safe_load((OBSERVABILITY / "alerts.yaml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_every_alert_has_an_expression_and_says_what_to_do() -> None:
    rules = _rules()
    assert {r["alert"] for r in rules} >= {"VmesteNoIntegrator", "VmesteReceiptToCheckpointSlow"}
    for rule in rules:
        annotations = rule["annotations"]
        assert isinstance(annotations, dict)
        assert annotations["summary"]
        assert len(str(annotations["description"])) > 30
        assert _METRIC.search(str(rule["expr"]))


def test_alerts_and_dashboard_use_only_exported_metrics() -> None:
    exported = _exported_families()
    dashboard = json.loads((OBSERVABILITY / "grafana-dashboard.json").read_text())
    expressions = [str(r["expr"]) for r in _rules()] + [
        target["expr"] for panel in dashboard["panels"] for target in panel["targets"]
    ]
    used = {_family(m) for expr in expressions for m in _METRIC.findall(expr)}
    assert used
    assert used - exported == set()
    assert {"vmeste_receipt_to_checkpoint_seconds", "vmeste_refusals"} <= used
