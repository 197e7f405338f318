"""`vmeste audit verify` and `vmeste audit receipt` on a board served by a real log.

Exit status: 0 all checks passed against the given keys, 1 a check failed, 2 refused or
unreadable input, 3 passed against the board's own keys only (``--trust-board-keys``).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

import msgspec
import pytest
from litestar import Litestar
from typer.testing import CliRunner, Result

from cli.main import app as cli
from services.polls.tables import LEASE
from shared.config import load_settings
from shared.log.board import BoardCertificate
from shared.log.certificate import TallyCertificate, issue_certificate
from shared.log.checkpoint import Checkpoint, sign_checkpoint
from shared.log.cosignature import WitnessSigner, add_signature_lines, note_parts
from shared.log.http import LogController, LogDescription, log_dependencies
from shared.log.service import IssuedReceipt, LogService, load_log_keys
from shared.log.store import LogStore
from shared.web.app import build_app
from tests.harness.asgi import app_client

NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
DEFINITION = b'{"questions":["which park"]}'
RESULTS = b'{"counts":{}}'
WITNESS_A = WitnessSigner.generate("witness-a.example")
WITNESS_B = WitnessSigner.generate("witness-b.example")


@pytest.fixture
def logs(store: LogStore, tmp_path: Path) -> LogService:
    return LogService(store, load_log_keys(tmp_path, "polls"), "vmeste.test/polls", LEASE)


def _app(logs: LogService, description: LogDescription | None = None) -> Litestar:
    async def lookup(log_id: str) -> LogDescription | None:
        return description or LogDescription(kind="test")

    settings = load_settings({"VMESTE_REDIS_URL": "redis://127.0.0.1:1/0"})
    return build_app(
        service="polls",
        version="0",
        settings=settings,
        route_handlers=[LogController],
        dependencies=log_dependencies(logs, lookup),
    )


async def _entries(logs: LogService) -> list[IssuedReceipt]:
    receipts = []
    for round_size in (6, 5):
        for _ in range(round_size):
            async with logs.store.transaction():
                digest = await logs.append("p1", os.urandom(32), NOW)
            receipts.append(logs.issue_receipt("p1", digest, NOW))
        await logs.integrate_now("p1")
    return receipts


async def _board(
    logs: LogService, tmp_path: Path, description: LogDescription | None = None
) -> tuple[Path, Path, list[IssuedReceipt]]:
    receipts = [] if description else await _entries(logs)
    async with app_client(_app(logs, description)) as client:
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


async def test_verify_passes_on_an_untouched_board(logs: LogService, tmp_path: Path) -> None:
    board, keys, _ = await _board(logs, tmp_path)
    result = CliRunner().invoke(cli, ["audit", "verify", str(board), "--keys", str(keys)])
    assert result.exit_code == 0, result.output
    assert "OK: the board verifies" in result.output
    assert "11" in result.output


async def test_verify_fails_naming_the_changed_entry(logs: LogService, tmp_path: Path) -> None:
    board, keys, _ = await _board(logs, tmp_path)
    _tamper_entry(board, 3)
    result = CliRunner().invoke(cli, ["audit", "verify", str(board), "--keys", str(keys)])
    assert result.exit_code == 1
    assert "FAILED" in result.output
    assert "checkpoint size 11" in result.output


async def test_receipt_proves_inclusion(logs: LogService, tmp_path: Path) -> None:
    board, keys, receipts = await _board(logs, tmp_path)
    receipt = tmp_path / "receipt.txt"
    receipt.write_text(receipts[8].note)
    result = CliRunner().invoke(
        cli, ["audit", "receipt", str(receipt), str(board), "--keys", str(keys)]
    )
    assert result.exit_code == 0, result.output
    assert receipts[8].tracking_code in result.output


async def test_receipt_of_a_dropped_entry_fails(logs: LogService, tmp_path: Path) -> None:
    board, keys, _ = await _board(logs, tmp_path)
    forged = logs.issue_receipt("p1", bytes(32), NOW)
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


def _audit(*args: str) -> Result:
    return CliRunner().invoke(cli, ["audit", *args])


def _records(board: Path) -> list[dict[str, Any]]:
    return [msgspec.json.decode(line) for line in board.read_bytes().splitlines()]


def _write(board: Path, records: list[dict[str, Any]]) -> None:
    board.write_bytes(b"".join(msgspec.json.encode(r) + b"\n" for r in records))


def _cosign(board: Path, *witnesses: WitnessSigner) -> int:
    """Cosign the board's last checkpoint as these witnesses would; return its size."""
    records = _records(board)
    final = [r for r in records if r["type"] == "checkpoint"][-1]
    body, _ = note_parts(final["note"])
    final["note"] = add_signature_lines(
        final["note"], [w.cosign(body, 1_780_000_000) for w in witnesses]
    )
    _write(board, records)
    return int(body.split("\n")[1])


def _keys_json(tmp_path: Path, keys: Path, quorum: int) -> Path:
    path = tmp_path / "keys.json"
    path.write_text(
        json.dumps(
            {
                "keys": keys.read_text().split(),
                "witnesses": [str(WITNESS_A.key), str(WITNESS_B.key)],
                "quorum": quorum,
            }
        )
    )
    return path


# --- which keys to trust ------------------------------------------------------------------------


async def test_verify_and_receipt_refuse_without_keys(logs: LogService, tmp_path: Path) -> None:
    board, _, receipts = await _board(logs, tmp_path)
    receipt = tmp_path / "receipt.txt"
    receipt.write_text(receipts[0].note)
    for args in (["verify", str(board)], ["receipt", str(receipt), str(board)]):
        result = _audit(*args)
        assert result.exit_code == 2, result.output
        assert "refusing to audit without the keys to trust" in result.stderr
        assert "--keys" in result.stderr
        assert "--trust-board-keys" in result.stderr
        assert "OK" not in result.stdout


async def test_trusting_the_board_keys_warns_and_exits_3(logs: LogService, tmp_path: Path) -> None:
    board, _, receipts = await _board(logs, tmp_path)
    result = _audit("verify", str(board), "--trust-board-keys")
    assert result.exit_code == 3, result.output
    assert "WARNING" in result.stderr
    assert "consistent with itself" in result.stderr
    receipt = tmp_path / "receipt.txt"
    receipt.write_text(receipts[2].note)
    result = _audit("receipt", str(receipt), str(board), "--trust-board-keys")
    assert result.exit_code == 3, result.output
    assert "WARNING" in result.stderr
    # A failure is still a failure.
    _tamper_entry(board, 3)
    assert _audit("verify", str(board), "--trust-board-keys").exit_code == 1


async def test_keys_and_trusting_the_board_exclude_each_other(
    logs: LogService, tmp_path: Path
) -> None:
    board, keys, _ = await _board(logs, tmp_path)
    result = _audit("verify", str(board), "--keys", str(keys), "--trust-board-keys")
    assert result.exit_code == 2
    assert "exclude each other" in result.stderr


async def test_keys_from_another_service_fail(logs: LogService, tmp_path: Path) -> None:
    board, keys, _ = await _board(logs, tmp_path)
    keys.write_text(str(load_log_keys(tmp_path / "other", "polls").active.verifier) + "\n")
    result = _audit("verify", str(board), "--keys", str(keys))
    assert result.exit_code == 1
    assert "checkpoint-signature" in result.stdout


def test_help_says_the_keys_json_supplies_the_witnesses() -> None:
    result = CliRunner().invoke(cli, ["audit", "verify", "--help"], terminal_width=200)
    assert result.exit_code == 0
    text = " ".join(result.output.replace("│", " ").split())  # rich draws boxes
    assert "/api/v1/keys" in text
    assert "witnesses and quorum are then checked too" in text


# --- witnesses' quorum ---------------------------------------------------------------------------


async def test_quorum_from_the_published_keys_json(logs: LogService, tmp_path: Path) -> None:
    board, keys, receipts = await _board(logs, tmp_path)
    keys_json = _keys_json(tmp_path, keys, quorum=2)
    _cosign(board, WITNESS_A, WITNESS_B)
    result = _audit("verify", str(board), "--keys", str(keys_json))
    assert result.exit_code == 0, result.output
    assert "cosigned by 2" in result.stdout
    receipt = tmp_path / "receipt.txt"
    receipt.write_text(receipts[9].note)
    result = _audit("receipt", str(receipt), str(board), "--keys", str(keys_json))
    assert result.exit_code == 0, result.output


async def test_missing_quorum_fails_naming_the_checkpoint(logs: LogService, tmp_path: Path) -> None:
    board, keys, _ = await _board(logs, tmp_path)
    keys_json = _keys_json(tmp_path, keys, quorum=2)
    size = _cosign(board, WITNESS_A)
    result = _audit("verify", str(board), "--keys", str(keys_json))
    assert result.exit_code == 1, result.output
    out = " ".join(result.stdout.split())
    assert f"witness-quorum (checkpoint size {size})" in out
    assert f"(size {size}) has 1 valid witness cosignature(s) of the 2 required" in out


async def test_explicit_witness_flags_win_over_the_keys_json(
    logs: LogService, tmp_path: Path
) -> None:
    board, keys, _ = await _board(logs, tmp_path)
    keys_json = _keys_json(tmp_path, keys, quorum=2)
    _cosign(board, WITNESS_A)
    assert _audit("verify", str(board), "--keys", str(keys_json), "--quorum", "1").exit_code == 0
    only_b = tmp_path / "witnesses.txt"
    only_b.write_text(f"{WITNESS_B.key}\n")
    result = _audit(
        "verify", str(board), "--keys", str(keys), "--witness-keys", str(only_b), "--quorum", "1"
    )
    assert result.exit_code == 1, result.output
    assert "has 0 valid witness cosignature(s)" in " ".join(result.stdout.split())


async def test_cosignature_by_an_unknown_witness_is_ignored(
    logs: LogService, tmp_path: Path
) -> None:
    board, keys, _ = await _board(logs, tmp_path)
    witnesses = tmp_path / "witnesses.txt"
    witnesses.write_text(f"{WITNESS_A.key}\n{WITNESS_B.key}\n")
    _cosign(board, WITNESS_A, WitnessSigner.generate("witness-b.example"))
    args = ["verify", str(board), "--keys", str(keys), "--witness-keys", str(witnesses)]
    assert _audit(*args, "--quorum", "1").exit_code == 0
    result = _audit(*args, "--quorum", "2")
    assert result.exit_code == 1
    assert "has 1 valid witness cosignature(s)" in " ".join(result.stdout.split())


async def test_witness_options_that_cannot_work_are_refused(
    logs: LogService, tmp_path: Path
) -> None:
    board, keys, _ = await _board(logs, tmp_path)
    witnesses = tmp_path / "witnesses.txt"
    witnesses.write_text(f"{WITNESS_A.key}\n")
    base = ["verify", str(board), "--keys", str(keys)]
    for extra, why in (
        (["--quorum", "1"], "needs witness keys"),
        (["--witness-keys", str(witnesses)], "add --quorum N"),
        (["--witness-keys", str(witnesses), "--quorum", "2"], "2 distinct witness keys"),
    ):
        result = _audit(*base, *extra)
        assert result.exit_code == 2, (extra, result.output)
        assert why in result.stderr


# --- checkpoints seen earlier -------------------------------------------------------------------


async def test_seen_checkpoints_consistent_or_not(logs: LogService, tmp_path: Path) -> None:
    async with logs.store.transaction():
        await logs.append("p1", os.urandom(32), NOW)
    await logs.integrate_now("p1")
    async with app_client(_app(logs)) as client:
        early = (await client.get("/api/v1/logs/p1/checkpoint")).text
    board, keys, _ = await _board(logs, tmp_path)
    # One file, two notes: a form feed line between them.
    seen = tmp_path / "browser.txt"
    latest = [r for r in _records(board) if r["type"] == "checkpoint"][-1]["note"]
    seen.write_text(early + "\f\n" + latest)
    result = _audit("verify", str(board), "--keys", str(keys), "--seen", str(seen))
    assert result.exit_code == 0, result.output
    assert "2 of 2 consistent" in result.stdout
    # The log signed another tree of size 1 for someone else: a split view.
    fork = sign_checkpoint(Checkpoint("vmeste.test/polls/p1", 1, bytes(32)), logs.keys.active)
    paper = tmp_path / "newspaper.txt"
    paper.write_text(fork)
    result = _audit(
        "verify", str(board), "--keys", str(keys), "--seen", str(seen), "--seen", str(paper)
    )
    assert result.exit_code == 1, result.output
    out = " ".join(result.stdout.split())
    assert "seen-inconsistent" in out
    assert f"seen checkpoint {paper} (size 1)" in out
    # And a checkpoint of more entries than the board holds.
    longer = sign_checkpoint(Checkpoint("vmeste.test/polls/p1", 99, bytes(32)), logs.keys.active)
    paper.write_text(longer)
    result = _audit("verify", str(board), "--keys", str(keys), "--seen", str(paper))
    assert result.exit_code == 1
    assert "seen-beyond-board" in result.stdout


# --- what the certificate binds -----------------------------------------------------------------


async def _certified(
    logs: LogService, tmp_path: Path, *, turnout: int = 11, version: int = 2
) -> tuple[Path, Path]:
    await _entries(logs)
    if version == 2:
        note = await logs.certify("p1", RESULTS, NOW, definition=DEFINITION, turnout=turnout)
    else:
        head = await logs.store.head("p1")
        old = TallyCertificate.for_results(
            Checkpoint(logs.origin("p1"), head.size, head.root), RESULTS, NOW
        )
        note = issue_certificate(old, logs.keys.active)
    described = LogDescription(
        kind="test", definition=DEFINITION, certificate=BoardCertificate(note, RESULTS)
    )
    board, keys, _ = await _board(logs, tmp_path, described)
    return board, keys


async def test_certified_board_verifies_definition_and_turnout(
    logs: LogService, tmp_path: Path
) -> None:
    board, keys = await _certified(logs, tmp_path)
    result = _audit("verify", str(board), "--keys", str(keys))
    assert result.exit_code == 0, result.output
    assert "definition ok" in result.stdout
    assert "turnout equals the entries" in result.stdout


async def test_altered_definition_fails(logs: LogService, tmp_path: Path) -> None:
    board, keys = await _certified(logs, tmp_path)
    records = _records(board)
    records[0]["definition"] = base64.b64encode(b'{"questions":["which road"]}').decode()
    _write(board, records)
    result = _audit("verify", str(board), "--keys", str(keys))
    assert result.exit_code == 1
    assert "certificate-definition" in result.stdout


async def test_turnout_other_than_the_entries_fails(logs: LogService, tmp_path: Path) -> None:
    board, keys = await _certified(logs, tmp_path, turnout=12)
    result = _audit("verify", str(board), "--keys", str(keys))
    assert result.exit_code == 1
    out = " ".join(result.stdout.split())
    assert "certificate-turnout" in out
    assert "turnout of 12, the board holds 11 entries" in out


async def test_old_format_certificate_still_verifies(logs: LogService, tmp_path: Path) -> None:
    board, keys = await _certified(logs, tmp_path, version=1)
    result = _audit("verify", str(board), "--keys", str(keys))
    assert result.exit_code == 0, result.output
    assert "certificate-v1" in result.stdout
