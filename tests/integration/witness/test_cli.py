"""``vmeste witness`` runs the witness under granian from a logs file, ``vmeste witness key``
prints its verifier key, ``vmeste migrate witness`` creates its tables."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from services.witness.cosigning.domain import FollowedLog
from shared.log.cosignature import WitnessKey
from shared.log.note import Signer
from tests.harness.processes import PostgresProcess, free_port
from tests.integration.witness._support import PREFIX, TestLog, check_cosignature, logs_json


def test_witness_key_is_created_once_and_printed(tmp_path: Path) -> None:
    first = CliRunner().invoke(
        cli, ["witness", "key", "--keys-dir", str(tmp_path), "--name", "witness.example/w1"]
    )
    assert first.exit_code == 0, first.output
    key = WitnessKey.parse(first.stdout.strip())
    assert key.name == "witness.example/w1"
    again = CliRunner().invoke(cli, ["witness", "key", "--keys-dir", str(tmp_path)])
    assert again.exit_code == 0
    assert again.stdout == first.stdout
    renamed = CliRunner().invoke(
        cli, ["witness", "key", "--keys-dir", str(tmp_path), "--name", "another"]
    )
    assert renamed.exit_code == 2
    assert "VMESTE_WITNESS_NAME" in renamed.stderr


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}


def test_migrate_witness_creates_its_tables(tmp_path: Path) -> None:
    path = tmp_path / "w.sqlite"
    result = CliRunner().invoke(
        cli, ["migrate", "witness"], env={"VMESTE_WITNESS_DATABASE_URL": f"sqlite:///{path}"}
    )
    assert result.exit_code == 0, result.output
    assert {"cosigned_checkpoint", "equivocation"} <= _tables(path)
    unknown = CliRunner().invoke(cli, ["migrate", "witnesses"])
    assert unknown.exit_code == 2


@pytest.mark.postgres
def test_migrate_witness_on_postgresql(postgres_server: PostgresProcess) -> None:
    postgres_server.sql("CREATE DATABASE cli_witness")
    url = postgres_server.url("cli_witness")
    result = CliRunner().invoke(
        cli, ["migrate", "witness"], env={"VMESTE_WITNESS_DATABASE_URL": url}
    )
    assert result.exit_code == 0, result.output
    again = CliRunner().invoke(
        cli, ["migrate", "witness"], env={"VMESTE_WITNESS_DATABASE_URL": url}
    )
    assert again.exit_code == 0, again.output


def _start(data_dir: Path, port: int, logs: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    env["VMESTE_WITNESS_NAME"] = "witness.test/cli"
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "witness",
            "--port",
            str(port),
            "--logs",
            str(logs),
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_running(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "Press Ctrl-C to stop" in line:
            return lines
    proc.kill()
    proc.communicate()
    raise AssertionError("vmeste witness did not start:\n" + "\n".join(lines))


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    code = proc.wait(30)
    if proc.stdout is not None:
        proc.stdout.close()
    return code


def test_vmeste_witness_serves_add_checkpoint_and_keeps_state_across_restarts(
    tmp_path: Path,
) -> None:
    signer = Signer.generate("vmeste-polls")
    logs = tmp_path / "logs.json"
    logs.write_text(logs_json([FollowedLog(PREFIX, (signer.verifier,))]))
    log = TestLog(PREFIX + "p1", signer)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    proc = _start(tmp_path / "data", port, logs)
    try:
        output = _wait_running(proc)
        printed = next(line.split()[-1] for line in output if line.startswith("witness key"))
        key = httpx.get(f"{base}/key", timeout=10).text.strip()
        assert key == printed
        assert WitnessKey.parse(key).name == "witness.test/cli"
        response = httpx.post(f"{base}/add-checkpoint", content=log.body(0, 5), timeout=10)
        assert response.status_code == 200, response.text
        check_cosignature(response.text, log.checkpoint(5).split("\n\n")[0] + "\n", key)
    finally:
        assert _stop(proc) == 0
    assert (tmp_path / "data" / "witness.sqlite").exists()
    assert (tmp_path / "data" / "keys" / "witness.key").exists()

    proc = _start(tmp_path / "data", port, logs)
    try:
        _wait_running(proc)
        assert httpx.get(f"{base}/key", timeout=10).text.strip() == key
        stale = httpx.post(f"{base}/add-checkpoint", content=log.body(0, 6), timeout=10)
        assert (stale.status_code, stale.headers["content-type"], stale.text) == (
            409,
            "text/x.tlog.size",
            "5\n",
        )
    finally:
        assert _stop(proc) == 0


def test_vmeste_witness_without_logs_says_what_to_set(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "witness", "--data-dir", str(tmp_path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "VMESTE_WITNESS_LOGS" in done.stderr
    bad = tmp_path / "logs.json"
    bad.write_text(json.dumps([{"origin_prefix": "a/", "keys": ["nonsense"]}]))
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "witness", "--logs", str(bad)],
        env={**env, "VMESTE_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert str(bad) in done.stderr
