"""`vmeste audit verify` and `vmeste audit receipt` on a board served by a real log."""

from __future__ import annotations

import base64
import datetime as dt
import os
from pathlib import Path

import msgspec
import pytest
from litestar import Litestar
from typer.testing import CliRunner

from services.polls.tables import LEASE
from shared.cli.main import app as cli
from shared.config import load_settings
from shared.ledger.http import LogDescription, log_controller
from shared.ledger.service import IssuedReceipt, LogService, load_log_keys
from shared.ledger.store import LedgerStore
from shared.web.app import build_app
from tests.harness.asgi import app_client

NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def ledger(store: LedgerStore, tmp_path: Path) -> LogService:
    return LogService(store, load_log_keys(tmp_path, "polls"), "vmeste.test/polls", LEASE)


def _app(ledger: LogService) -> Litestar:
    async def lookup(log_id: str) -> LogDescription | None:
        return LogDescription(kind="test")

    settings = load_settings({"VMESTE_REDIS_URL": "redis://127.0.0.1:1/0"})
    return build_app(
        service="polls",
        version="0",
        settings=settings,
        route_handlers=[log_controller(ledger, lookup)],
    )


async def _board(ledger: LogService, tmp_path: Path) -> tuple[Path, Path, list[IssuedReceipt]]:
    receipts = []
    for round_size in (6, 5):
        for _ in range(round_size):
            async with ledger.store.transaction():
                digest = await ledger.append("p1", os.urandom(32), NOW)
            receipts.append(ledger.issue_receipt("p1", digest, NOW))
        await ledger.integrate_now("p1")
    async with app_client(_app(ledger)) as client:
        board = (await client.get("/api/v1/logs/p1/board")).content
        keys = (await client.get("/api/v1/keys")).json()["keys"]
    board_path = tmp_path / "board.jsonl"
    board_path.write_bytes(board)
    keys_path = tmp_path / "keys.txt"
    keys_path.write_text("\n".join(keys) + "\n")
    return board_path, keys_path, receipts


def _tamper_entry(board: Path, index: int) -> None:
    lines = board.read_bytes().splitlines()
    for n, line in enumerate(lines):
        record = msgspec.json.decode(line)
        if record["type"] == "entries" and record["start"] <= index < record["start"] + len(
            record["entries"]
        ):
            raw = bytearray(base64.b64decode(record["entries"][index - record["start"]]))
            raw[0] ^= 1
            record["entries"][index - record["start"]] = base64.b64encode(raw).decode()
            lines[n] = msgspec.json.encode(record)
    board.write_bytes(b"\n".join(lines) + b"\n")


async def test_verify_passes_on_an_untouched_board(ledger: LogService, tmp_path: Path) -> None:
    board, keys, _ = await _board(ledger, tmp_path)
    result = CliRunner().invoke(cli, ["audit", "verify", str(board), "--keys", str(keys)])
    assert result.exit_code == 0, result.output
    assert "OK: the board verifies" in result.output
    assert "11" in result.output


async def test_verify_fails_naming_the_changed_entry(ledger: LogService, tmp_path: Path) -> None:
    board, keys, _ = await _board(ledger, tmp_path)
    _tamper_entry(board, 3)
    result = CliRunner().invoke(cli, ["audit", "verify", str(board), "--keys", str(keys)])
    assert result.exit_code == 1
    assert "FAILED" in result.output
    assert "checkpoint size 11" in result.output


async def test_receipt_proves_inclusion(ledger: LogService, tmp_path: Path) -> None:
    board, keys, receipts = await _board(ledger, tmp_path)
    receipt = tmp_path / "receipt.txt"
    receipt.write_text(receipts[8].note)
    result = CliRunner().invoke(
        cli, ["audit", "receipt", str(receipt), str(board), "--keys", str(keys)]
    )
    assert result.exit_code == 0, result.output
    assert receipts[8].tracking_code in result.output


async def test_receipt_of_a_dropped_entry_fails(ledger: LogService, tmp_path: Path) -> None:
    board, keys, _ = await _board(ledger, tmp_path)
    forged = ledger.issue_receipt("p1", bytes(32), NOW)
    receipt = tmp_path / "receipt.txt"
    receipt.write_text(forged.note)
    result = CliRunner().invoke(
        cli, ["audit", "receipt", str(receipt), str(board), "--keys", str(keys)]
    )
    assert result.exit_code == 1
    assert "receipt-entry-missing" in result.output


def test_missing_board_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["audit", "verify", str(tmp_path / "nope.jsonl")])
    assert result.exit_code == 2
