"""A log served over HTTP: checkpoints, proofs, tracking codes and a board that audits clean."""

from __future__ import annotations

import base64
import datetime as dt
import io
import os
from pathlib import Path

import pytest
from litestar import Litestar
from prometheus_client import REGISTRY

from services.polls.tables import LEASE
from shared.config import load_settings
from shared.log.audit import audit_board, check_receipt
from shared.log.board import thin_checkpoints
from shared.log.checkpoint import open_checkpoint
from shared.log.http import LogController, LogDescription, log_dependencies
from shared.log.merkle import verify_inclusion
from shared.log.note import Verifier
from shared.log.receipt import verify_receipt
from shared.log.service import IssuedReceipt, LogService, load_log_keys
from shared.log.store import LogStore
from shared.web.app import build_app
from tests.harness.asgi import app_client

NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def logs(store: LogStore, tmp_path: Path) -> LogService:
    return LogService(store, load_log_keys(tmp_path, "polls"), "vmeste.test/polls", LEASE)


@pytest.fixture
def app(logs: LogService) -> Litestar:
    async def lookup(log_id: str) -> LogDescription | None:
        return LogDescription(kind="poll", definition=b"{}") if log_id.startswith("p") else None

    settings = load_settings({"VMESTE_REDIS_URL": "redis://127.0.0.1:1/0"})
    return build_app(
        service="polls",
        version="0",
        settings=settings,
        route_handlers=[LogController],
        dependencies=log_dependencies(logs, lookup),
    )


async def _accept(logs: LogService, log_id: str, n: int) -> list[IssuedReceipt]:
    receipts = []
    for _ in range(n):
        async with logs.store.transaction():
            digest = await logs.append(log_id, os.urandom(40), NOW)
        receipts.append(logs.issue_receipt(log_id, digest, NOW))
    return receipts


def _verifiers(logs: LogService) -> list[Verifier]:
    return [Verifier.parse(k) for k in logs.verifier_keys()]


async def test_receipt_verifies_with_published_keys(
    logs: LogService,
    app: Litestar,
) -> None:
    async with app_client(app) as client:
        (issued,) = await _accept(logs, "p1", 1)
        keys = (await client.get("/api/v1/keys")).json()["keys"]
        receipt, _ = verify_receipt(issued.note, [Verifier.parse(k) for k in keys])
        assert receipt.entry_hash == issued.entry_hash
        assert receipt.tracking_code == issued.tracking_code
        assert receipt.origin == "vmeste.test/polls/p1"


async def test_checkpoint_and_inclusion_proof_verify(
    logs: LogService,
    app: Litestar,
) -> None:
    async with app_client(app) as client:
        receipts = await _accept(logs, "p2", 9)
        assert (await client.get("/api/v1/logs/p2/checkpoint")).status_code == 404
        await logs.integrate_now("p2")
        note = (await client.get("/api/v1/logs/p2/checkpoint")).text
        checkpoint, _ = open_checkpoint(note, _verifiers(logs), origin="vmeste.test/polls/p2")
        assert checkpoint.size == 9
        for issued in receipts:
            response = await client.get(
                "/api/v1/logs/p2/inclusion", params={"entry_hash": issued.entry_hash.hex()}
            )
            body = response.json()
            proof = [base64.b64decode(h) for h in body["proof"]]
            verify_inclusion(body["leaf_index"], 9, issued.entry_hash, proof, checkpoint.root)


async def test_tracking_code_finds_and_proves_the_ballot(
    logs: LogService,
    app: Litestar,
) -> None:
    async with app_client(app) as client:
        (issued,) = await _accept(logs, "p3", 1)
        pending = (await client.get(f"/api/v1/logs/p3/tracking/{issued.tracking_code}")).json()
        assert pending["status"] == "accepted"
        await logs.integrate_now("p3")
        typed = issued.tracking_code.lower().replace("-", " ")
        found = (await client.get(f"/api/v1/logs/p3/tracking/{typed}")).json()
        assert found["status"] == "included"
        assert found["entry_hash"] == issued.entry_hash.hex()
        bad = await client.get("/api/v1/logs/p3/tracking/not-a-code")
        assert bad.status_code == 400
        assert bad.headers["content-type"] == "application/problem+json"


async def test_unknown_log_is_404_problem(app: Litestar) -> None:
    async with app_client(app) as client:
        response = await client.get("/api/v1/logs/zzz/checkpoint")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"


async def test_entries_are_paged_in_index_order(
    logs: LogService,
    app: Litestar,
) -> None:
    async with app_client(app) as client:
        await _accept(logs, "p4", 5)
        await logs.integrate_now("p4")
        first = (await client.get("/api/v1/logs/p4/entries", params={"limit": 3})).json()
        assert len(first["entries"]) == 3
        assert first["next"] == 3
        rest = (await client.get("/api/v1/logs/p4/entries", params={"start": 3})).json()
        assert len(rest["entries"]) == 2
        assert rest["next"] is None
        stored = await logs.store.entries("p4", 0, 5)
        assert [base64.b64decode(e) for e in first["entries"] + rest["entries"]] == stored


async def test_consistency_between_checkpoints_is_served(
    logs: LogService,
    app: Litestar,
) -> None:
    async with app_client(app) as client:
        await _accept(logs, "p5", 3)
        await logs.integrate_now("p5")
        await _accept(logs, "p5", 4)
        await logs.integrate_now("p5")
        body = await client.get("/api/v1/logs/p5/consistency", params={"first": 3, "second": 7})
        assert body.status_code == 200
        assert len(body.json()["proof"]) > 0
        beyond = await client.get("/api/v1/logs/p5/consistency", params={"first": 3, "second": 70})
        assert beyond.status_code == 400


async def test_downloaded_board_audits_clean_and_proves_a_receipt(
    logs: LogService,
    app: Litestar,
) -> None:
    async with app_client(app) as client:
        receipts = await _accept(logs, "p6", 20)
        await logs.integrate_now("p6")
        receipts += await _accept(logs, "p6", 7)
        await logs.integrate_now("p6")
        response = await client.get("/api/v1/logs/p6/board")
        assert response.status_code == 200
        board = response.content
        report = audit_board(io.BytesIO(board), trusted_keys=logs.verifier_keys())
        assert report.ok, report.errors
        assert report.entries == 27
        assert len(report.checkpoints) == 1  # both were signed within one minute: thinned
        check = check_receipt(
            receipts[25].note, io.BytesIO(board), trusted_keys=logs.verifier_keys()
        )
        assert check.ok, check.findings


def test_board_keeps_one_checkpoint_a_minute_and_the_final_one() -> None:
    at = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)
    rows = [
        (1, "a", at),
        (2, "b", at + dt.timedelta(seconds=20)),
        (3, "c", at + dt.timedelta(seconds=61)),
        (4, "d", at + dt.timedelta(seconds=62)),
        (5, "e", at + dt.timedelta(seconds=200)),
        (6, "f", at + dt.timedelta(seconds=201)),
    ]
    assert thin_checkpoints(rows) == ["b", "d", "f"]
    assert thin_checkpoints(rows[:1]) == ["a"]
    assert thin_checkpoints([]) == []


async def test_metrics_count_receipts_and_their_wait_for_a_checkpoint(
    logs: LogService, app: Litestar
) -> None:
    labels = {"service": "polls"}
    receipts_before = REGISTRY.get_sample_value("vmeste_receipts_total", labels) or 0
    waits_before = (
        REGISTRY.get_sample_value("vmeste_receipt_to_checkpoint_seconds_count", labels) or 0
    )
    await _accept(logs, "p7", 3)
    await logs.integrate_now("p7")
    assert REGISTRY.get_sample_value("vmeste_receipts_total", labels) == receipts_before + 3
    waits = REGISTRY.get_sample_value("vmeste_receipt_to_checkpoint_seconds_count", labels)
    assert waits == waits_before + 3
    size = REGISTRY.get_sample_value("vmeste_checkpoint_size", {**labels, "log": "p7"})
    assert size == 3
    async with app_client(app) as client:
        refused = await client.get("/api/v1/logs/zzz/checkpoint")
        exposed = (await client.get("/metrics")).text
    assert refused.status_code == 404
    assert 'vmeste_refusals_total{service="polls",status="404",type="not-found"}' in exposed
    assert "vmeste_integrator_round_seconds_bucket" in exposed
