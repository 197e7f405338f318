"""``python -m bench.inprocess`` measures every row on the embedded default and prints it."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ROWS = (
    "bare POST",
    "service stack no-op",
    "cast",
    "poll page",
    "check page",
    "widget page",
    "discussion page",
    "draft widget page",
)
ARGS = ("--sqlite", "--requests", "128", "--concurrency", "4")


def test_the_in_process_benchmark_serves_every_row_and_reports_its_cpu() -> None:
    # A process of its own: the benchmark points the settings, read once per process, at the
    # databases it makes. A row whose requests fail stops it with the refused request.
    done = subprocess.run(
        [sys.executable, "-m", "bench.inprocess", *ARGS],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "database: SQLite" in done.stdout
    for name in ROWS:
        row = rf"^  {re.escape(name)} +(\d+) µs CPU +\d+ µs wall  \((\d+) requests\)$"
        found = re.search(row, done.stdout, re.M)
        assert found is not None, done.stdout
        assert int(found.group(1)) > 0
        assert int(found.group(2)) >= 32
    assert "casting itself (cast - stack)" in done.stdout
