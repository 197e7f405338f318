"""Checkpoint lookups as a log's history grows: 5,000, 50,000 and 500,000 checkpoint rows.

    uv run python -m bench.checkpoints [--sizes 5000,50000,500000] [--requests N]

Starts the harness PostgreSQL, migrates a polls database, accepts and integrates a few ballots
into one log (so it has a real signed checkpoint, tree and tracking codes), then gives that
log more history: checkpoint rows inserted with ``generate_series`` until the log has each
size's number of rows, ``ANALYZE`` after each step. The inserted rows have sizes below zero so
that the real checkpoint stays the latest; the (log, size) index holds every one of them.

At each size it times ``--requests`` calls of ``GET /checkpoint``, ``GET /inclusion`` (the
latest checkpoint and one of a given size) and ``GET /tracking/{code}`` through the app's
ASGI interface in this process (no network), after a warm-up, and prints each p99.

Targets: p99 ≤ 10 ms for every endpoint at every size, and flat as rows grow (the p99 at the
largest size within 2× the smallest's, plus 1 ms of noise).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

from services.polls.tables import LEASE, LOG_TABLES, TABLES
from shared.config import load_settings
from shared.db.engine import bind_tables, create_engine
from shared.db.migrate import migrate
from shared.log.http import LogController, LogDescription, log_dependencies
from shared.log.service import LogService, load_log_keys
from shared.web.app import build_app

__all__ = ("main",)

TARGET_P99_MS = 10.0
FLAT_RATIO = 2.0
FLAT_NOISE_MS = 1.0
LOG_ID = "bench-log"
ENTRIES = 64
_TS = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)


def _p99(samples: Sequence[float]) -> float:
    return statistics.quantiles(samples, n=100)[98]


async def _time(client: httpx.AsyncClient, url: str, n: int) -> float:
    for _ in range(min(50, n)):
        assert (await client.get(url)).status_code == 200, url
    samples = []
    for _ in range(n):
        started = time.perf_counter()
        response = await client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.text[:200]}")
    return _p99(samples)


async def run(url: str, sizes: Sequence[int], requests: int, keys_dir: Path) -> bool:
    engine = create_engine(url)
    bind_tables(TABLES, engine)
    await engine.start_connection_pool(min_size=1, max_size=4)  # type: ignore[no-untyped-call,call-arg]
    try:
        logs = LogService.create(
            LOG_TABLES, engine, load_log_keys(keys_dir, "polls"), "bench/polls", LEASE
        )
        receipts = []
        for _ in range(ENTRIES):
            async with logs.transaction():
                digest = await logs.append(LOG_ID, os.urandom(40), _TS)
            receipts.append(logs.issue_receipt(LOG_ID, digest, _TS))
        await logs.integrate_now(LOG_ID)
        latest = await logs.latest_checkpoint(LOG_ID)
        assert latest is not None, "the log was integrated"
        real_size = latest[0]

        async def lookup(log_id: str) -> LogDescription | None:
            return LogDescription(kind="poll") if log_id == LOG_ID else None

        settings = load_settings({"VMESTE_REDIS_URL": "redis://127.0.0.1:1/0"})
        app = build_app(
            service="polls",
            version="0",
            settings=settings,
            route_handlers=[LogController],
            dependencies=log_dependencies(logs, lookup),
        )
        base = f"/api/v1/logs/{LOG_ID}"
        middle = receipts[ENTRIES // 2]
        endpoints = {
            "GET /checkpoint": f"{base}/checkpoint",
            "GET /inclusion": f"{base}/inclusion?entry_hash={middle.entry_hash.hex()}",
            "GET /inclusion?tree_size": (
                f"{base}/inclusion?entry_hash={middle.entry_hash.hex()}&tree_size={real_size}"
            ),
            "GET /tracking/{code}": f"{base}/tracking/{middle.tracking_code}",
        }
        figures: dict[str, list[float]] = {name: [] for name in endpoints}
        rows = 1
        print(f"target: p99 ≤ {TARGET_P99_MS:g} ms per endpoint, flat as rows grow")
        print(f"{'checkpoint rows':>16}  " + "  ".join(f"{name:>24}" for name in endpoints))
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=transport, base_url="http://bench") as client,
        ):
            for target in sizes:
                # Sizes -rows-1 … -target+1 plus the real one: `target` rows of this log.
                await engine.run_ddl(
                    "INSERT INTO log_checkpoint (log_id, size, root, note, signed_at) "
                    f"SELECT '{LOG_ID}', -g, sha256(int8send(g)), "
                    "'bench/polls/" + LOG_ID + "\n' || g || E'\\nhistory\\n', "
                    "now() - make_interval(secs => g) "
                    f"FROM generate_series({rows}, {target - 1}) AS g"
                )
                await engine.run_ddl("ANALYZE log_checkpoint")
                c = LOG_TABLES.checkpoint
                rows = await c.count().where(c.log_id == LOG_ID)
                line = []
                for name, path in endpoints.items():
                    p99 = await _time(client, path, requests)
                    figures[name].append(p99)
                    line.append(f"{p99:>21.2f} ms")
                print(f"{rows:>16,}  " + "  ".join(line), flush=True)
    finally:
        await engine.close_connection_pool()  # type: ignore[no-untyped-call]
    ok = True
    for name, series in figures.items():
        worst = max(series)
        flat = series[-1] <= series[0] * FLAT_RATIO + FLAT_NOISE_MS
        verdict = "ok" if worst <= TARGET_P99_MS and flat else "MISSED"
        print(
            f"{name}: worst p99 {worst:.2f} ms (target ≤ {TARGET_P99_MS:g}); "
            f"largest/smallest {series[-1] / series[0]:.2f}× ({verdict})"
        )
        ok = ok and verdict == "ok"
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="5000,50000,500000")
    parser.add_argument("--requests", type=int, default=1000)
    args = parser.parse_args()
    sizes = sorted(int(s) for s in args.sizes.split(","))
    from tests.harness.processes import start_postgres

    postgres = start_postgres()
    try:
        postgres.sql("CREATE DATABASE bench_checkpoints")
        url = postgres.url("bench_checkpoints")
        migrate("polls", url)
        with tempfile.TemporaryDirectory() as tmp:
            ok = asyncio.run(run(url, sizes, args.requests, Path(tmp)))
    finally:
        postgres.destroy()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
