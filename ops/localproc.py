"""Local redis-server and PostgreSQL processes on free ports, and waiting for listeners.

Used by ``vmeste dev`` (its own Redis), ``vmeste cluster`` (PostgreSQL, Redis, nginx) and the
tests, which never depend on a server someone left running.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shared.components import APPS, PLATFORM_SERVICES

__all__ = (
    "SERVICE_APPS",
    "PostgresProcess",
    "RedisProcess",
    "free_port",
    "granian_command",
    "port_free",
    "postgres_bin_dir",
    "start_postgres",
    "start_redis",
    "stop_all",
    "wait_listening",
)

SERVICE_APPS = {service: APPS[service] for service in PLATFORM_SERVICES}
"""The application factory of each service, as granian loads it."""


def granian_command(service: str, host: str, port: int, workers: int = 1) -> list[str]:
    """The command line that serves ``service`` (or ``"witness"``) under granian, as every
    launcher runs it."""
    factory = APPS[service]
    return [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        factory,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--log-level",
        "warning",
    ]


def port_free(host: str, port: int) -> bool:
    """Whether ``port`` on ``host`` can be listened on (a launcher checks before it starts)."""
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def stop_all(procs: list[subprocess.Popen[bytes]], grace_s: float = 15) -> None:
    """SIGTERM every process still running, wait up to ``grace_s`` in all, then SIGKILL."""
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(
    port: int, proc: subprocess.Popen[Any], what: str = "process", timeout: float = 30
) -> None:
    """Wait until something accepts connections on ``port``; fail early if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} did not listen on port {port} within {timeout:.0f} s")


@dataclass
class RedisProcess:
    port: int
    process: subprocess.Popen[bytes]
    folder: Path

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def kill(self) -> None:
        """SIGKILL, as a crash would: nothing is flushed or saved."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def restart(self) -> None:
        """Start again on the same port, empty (as after a crash without persistence)."""
        if self.process.poll() is None:
            self.kill()
        self.process = _spawn_redis(self.port, self.folder)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)


def _spawn_redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not installed: run scripts/install.sh")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
            "--logfile",
            str(folder / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_listening(port, proc, "redis-server", 10)
    return proc


def start_redis(folder: Path) -> RedisProcess:
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    return RedisProcess(port=port, process=_spawn_redis(port, folder), folder=folder)


def postgres_bin_dir() -> Path:
    """The newest installed PostgreSQL's bin folder (Debian puts it outside PATH)."""
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL is not installed: run scripts/install.sh")


def _as_postgres_user(argv: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; CI and fresh machines run tests as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *argv]
    return argv


@dataclass
class PostgresProcess:
    port: int
    data_dir: Path
    bin_dir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def _ctl(self, *args: str) -> None:
        subprocess.run(
            _as_postgres_user([str(self.bin_dir / "pg_ctl"), "-D", str(self.data_dir), *args]),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.data_dir} "
            "-c fsync=off -c full_page_writes=off -c max_connections=300"
        )
        self._ctl("-o", options, "-l", str(self.data_dir / "server.log"), "-w", "start")

    def stop(self, mode: str = "fast") -> None:
        self._ctl("-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def sql(self, statement: str, database: str = "postgres") -> None:
        subprocess.run(
            [
                str(self.bin_dir / "psql"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-q",
                "-c",
                statement,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop("immediate")
        shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def start_postgres() -> PostgresProcess:
    """initdb into a new folder of /tmp (pytest's own tmp is private to root) and start."""
    bin_dir = postgres_bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="vmeste-pg-"))
    data_dir = folder / "pgdata"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run(
        _as_postgres_user(
            [
                str(bin_dir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C.UTF-8",
            ]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = PostgresProcess(port=free_port(), data_dir=data_dir, bin_dir=bin_dir)
    server.start()
    return server
