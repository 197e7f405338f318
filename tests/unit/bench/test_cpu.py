"""The cast benchmark's CPU meter counts a process tree's work, including children that ended."""

from __future__ import annotations

import subprocess
import sys

from bench.cpu import CpuMeter

# Spends about 0.3 s of CPU (not wall time: process_time), then exits.
_BURN = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\n"


def test_a_tree_counts_the_cpu_of_a_child_that_ended_during_the_run() -> None:
    with subprocess.Popen(
        ["sh", "-c", f'read go; "{sys.executable}" -c "$BURN"; echo done; read stop'],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        env={"BURN": _BURN},
    ) as root:
        meter = CpuMeter({"tree": lambda: root.pid, "gone": lambda: None})

        def run() -> bytes:
            assert root.stdin is not None
            assert root.stdout is not None
            root.stdin.write(b"go\n")
            root.stdin.flush()
            return root.stdout.readline()  # the shell has reaped the burner when it echoes

        try:
            said, split = meter.measure(run)
        finally:
            root.kill()

    assert said == b"done\n"
    # The burner ran and ended inside the run: its 0.3 s reach the tree through sh's cutime.
    assert split.seconds["tree"] >= 0.25
    assert "gone" not in split.seconds
    assert split.machine >= split.seconds["tree"] - 0.05
    per_request = split.per_request_us(1000)
    assert per_request["tree"] >= 250
    assert set(per_request) == {
        "tree",
        CpuMeter.WRK,
        "other (the benchmark, the kernel, neighbours)",
    }
