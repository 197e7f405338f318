"""``vmeste dev``: the whole system on one machine, from one command.

Starts a private redis-server (unless VMESTE_REDIS_URL points at one), migrates the SQLite
databases under the data folder, creates keys on first start, runs one local witness (which
cosigns both services' checkpoints; quorum 1) and both services under granian, and stops
everything on Ctrl-C. A second start reuses the data folder.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ops.local_witness import prepare_witness, witnesses_env
from ops.localproc import (
    SERVICE_APPS,
    granian_command,
    port_free,
    start_redis,
    stop_all,
    wait_listening,
)
from shared.outbox.webhooks import generate_secret

__all__ = ("DevOptions", "run_dev")


@dataclass
class DevOptions:
    data_dir: Path
    host: str = "127.0.0.1"
    ports: dict[str, int] = field(default_factory=lambda: {"polls": 8001, "discussions": 8002})
    workers: int = 1
    witness_port: int = 8003


@contextlib.contextmanager
def _redis(data_dir: Path, say: Callable[[str], None]) -> Iterator[str]:
    existing = os.environ.get("VMESTE_REDIS_URL")
    if existing:
        say(f"Redis: using VMESTE_REDIS_URL={existing}")
        yield existing
        return
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server is not installed: run scripts/install.sh first")
    server = start_redis(data_dir / "redis")
    try:
        say(f"Redis: own redis-server on port {server.port}")
        yield server.url
    finally:
        server.stop()


def run_dev(
    options: DevOptions, prepare: Callable[[dict[str, str]], None], say: Callable[[str], None]
) -> int:
    """Run until Ctrl-C or until a service dies; returns the exit code.

    ``prepare(env)`` migrates databases and creates keys with the given environment.
    """
    for name, port in {**options.ports, "witness": options.witness_port}.items():
        if not port_free(options.host, port):
            raise SystemExit(
                f"port {port} for {name} is taken: stop what uses it or pass --{name}-port"
            )
    options.data_dir.mkdir(parents=True, exist_ok=True)
    with _redis(options.data_dir, say) as redis_url:
        env = {
            **os.environ,
            "VMESTE_ENV": os.environ.get("VMESTE_ENV", "dev"),
            "VMESTE_DATA_DIR": str(options.data_dir),
            "VMESTE_REDIS_URL": redis_url,
            # Behind a proxy that publishes the services elsewhere (under /polls and
            # /discussions, as the ingress does) the caller names their public URLs.
            **{
                f"VMESTE_{service.upper()}_PUBLIC_URL": os.environ.get(
                    f"VMESTE_{service.upper()}_PUBLIC_URL", f"http://localhost:{port}"
                )
                for service, port in options.ports.items()
            },
        }
        # Discussions' authors' events reach people through polls' notifications inbox; the
        # secret signing them lives as long as this run. E-mail stays off unless
        # VMESTE_SMTP_HOST is set (e.g. a local Mailpit).
        env.setdefault("VMESTE_NOTIFICATIONS_SECRET", generate_secret())
        env.setdefault(
            "VMESTE_DISCUSSIONS_NOTIFY_URL",
            f"http://localhost:{options.ports['polls']}/internal/notifications/events",
        )
        if options.workers > 1:
            # Each granian worker is a process: Prometheus counters must be shared on disk.
            metrics_dir = options.data_dir / "prometheus"
            shutil.rmtree(metrics_dir, ignore_errors=True)
            metrics_dir.mkdir(parents=True)
            env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
        prepare(env)
        witness = prepare_witness(
            options.data_dir / "witness",
            "vmeste-dev-witness",
            options.witness_port,
            Path(env.get("VMESTE_KEYS_DIR") or options.data_dir / "keys"),
            {s: env[f"VMESTE_{s.upper()}_PUBLIC_URL"] for s in SERVICE_APPS},
            env,
        )
        env.update(witnesses_env([witness], quorum=1))
        procs: list[subprocess.Popen[bytes]] = []
        stopping = False

        def on_signal(signum: int, frame: object) -> None:
            nonlocal stopping
            stopping = True

        previous = signal.signal(signal.SIGTERM, on_signal)
        try:
            procs.append(witness.start(options.host))
            try:
                wait_listening(witness.port, procs[-1], "the witness", 60)
            except (RuntimeError, TimeoutError) as exc:
                raise SystemExit(str(exc)) from None
            for name in SERVICE_APPS:
                port = options.ports[name]
                procs.append(
                    subprocess.Popen(
                        granian_command(name, options.host, port, options.workers),
                        env=env,
                    )
                )
                try:
                    wait_listening(port, procs[-1], f"the {name} service", 60)
                except (RuntimeError, TimeoutError) as exc:
                    raise SystemExit(str(exc)) from None
            say("")
            say("Vmeste is running:")
            for name, port in options.ports.items():
                say(f"  {name:<12} http://localhost:{port}/   (API docs: /schema)")
            say(f"  sign in      http://localhost:{options.ports['polls']}/auth/login")
            say(f"  witness      {witness.url}/key   (cosigns every checkpoint)")
            say(f"  data folder  {options.data_dir}")
            say("Press Ctrl-C to stop.")
            while not stopping:
                if any(p.poll() is not None for p in procs):
                    say("a service stopped unexpectedly; shutting down")
                    return 1
                time.sleep(0.5)
            return 0
        except KeyboardInterrupt:
            return 0
        finally:
            signal.signal(signal.SIGTERM, previous)
            say("stopping…")
            stop_all(procs)
