"""`vmeste dev` brings the whole system up from nothing, stops cleanly, and restarts on its data."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.harness.processes import free_port

pytestmark = pytest.mark.slow


def _start(
    data_dir: Path, ports: tuple[int, int], witness_port: int | None = None
) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "dev",
            "--data-dir",
            str(data_dir),
            "--polls-port",
            str(ports[0]),
            "--discussions-port",
            str(ports[1]),
            "--witness-port",
            str(witness_port or free_port()),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_running(proc: subprocess.Popen[str]) -> list[str]:
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if "Press Ctrl-C to stop" in line:
            return lines
    proc.kill()
    proc.communicate()
    raise AssertionError("vmeste dev did not start:\n" + "\n".join(lines))


def _stop(proc: subprocess.Popen[str]) -> int:
    proc.send_signal(signal.SIGINT)
    code = proc.wait(30)
    if proc.stdout is not None:
        proc.stdout.close()
    return code


def _children_of(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(p) for p in out.stdout.split()]


def test_dev_runs_both_services_with_its_own_redis_and_stops_cleanly(tmp_path: Path) -> None:
    ports = (free_port(), free_port())
    witness_port = free_port()
    proc = _start(tmp_path / "data", ports, witness_port)
    try:
        output = _wait_running(proc)
        assert any("own redis-server" in line for line in output)
        sign_in = next(line.split()[-1] for line in output if "sign in" in line)
        people = httpx.get(sign_in, follow_redirects=True, timeout=10)
        assert people.status_code == 200
        assert "citizen-tyumen" in people.text  # the development provider's fixture people
        children = _children_of(proc.pid)
        assert len(children) >= 4  # redis-server, the witness and two granian servers
        witness_key = httpx.get(f"http://127.0.0.1:{witness_port}/key", timeout=10).text.strip()
        for port in ports:
            keys = httpx.get(f"http://127.0.0.1:{port}/api/v1/keys", timeout=10).json()
            assert keys["witnesses"] == [witness_key]
            assert keys["quorum"] == 1
        for port in ports:
            ready = httpx.get(f"http://127.0.0.1:{port}/health/ready", timeout=10)
            assert ready.status_code == 200
            checks = ready.json()["checks"]
            assert {"database", "redis"} <= set(checks)
            assert set(checks.values()) == {"ok"}
            schema = httpx.get(f"http://127.0.0.1:{port}/schema/openapi.json", timeout=10)
            assert schema.status_code == 200
    finally:
        code = _stop(proc)
    assert code == 0
    time.sleep(0.5)
    for child in children:
        assert (
            not Path(f"/proc/{child}").exists()
            or "zombie" in Path(f"/proc/{child}/status").read_text().lower()
        )
    for name in ("polls", "discussions", "identity"):
        assert (tmp_path / "data" / f"{name}.sqlite").is_file()


def test_second_start_reuses_the_data_folder(tmp_path: Path) -> None:
    data = tmp_path / "data"
    ports = (free_port(), free_port())
    first = _start(data, ports)
    _wait_running(first)
    assert _stop(first) == 0
    keys_before = {p: p.read_bytes() for p in (data / "keys").rglob("*") if p.is_file()}
    assert keys_before
    second = _start(data, ports)
    try:
        _wait_running(second)
        ready = httpx.get(f"http://127.0.0.1:{ports[0]}/health/ready", timeout=10)
        assert ready.status_code == 200
    finally:
        assert _stop(second) == 0
    keys_after = {p: p.read_bytes() for p in (data / "keys").rglob("*") if p.is_file()}
    assert keys_after == keys_before


def test_taken_port_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        proc = _start(tmp_path / "data", (taken, free_port()))
        out, _ = proc.communicate(timeout=60)
    assert proc.returncode != 0
    assert f"port {taken}" in out
