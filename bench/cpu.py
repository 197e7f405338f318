"""Where a run's CPU goes across processes: the service's workers, PostgreSQL, Redis, wrk.

The py-spy profile (:mod:`bench.stages`) sees only the workers' Python stacks. A cast also
costs PostgreSQL (the group commit, the mixer's log writes) and Redis (the gate and the abuse
counters) CPU on the same two cores, which a bare POST does not; this meter says how much, from
the kernel's own accounting (``/proc``), so the ratio to a bare POST can be split into what the
service's Python spends and what its database and cache spend.

A process tree's CPU is the user and system time of every live process in it, plus what each
has collected from children it reaped (``cutime``/``cstime``): PostgreSQL backends that end
during a run are still counted by the postmaster. wrk is a child of the benchmark, so its time
is the benchmark's ``RUSAGE_CHILDREN`` across the run. "Other" is the machine's busy time
(``/proc/stat``) less all of these: the benchmark itself, the kernel's other work, neighbours.
"""

from __future__ import annotations

import os
import resource
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

__all__ = ("CpuMeter", "CpuSplit")

T = TypeVar("T")

_TICK_S = 1.0 / os.sysconf("SC_CLK_TCK")
_PROC = Path("/proc")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:  # gone between listing and reading
        return None
    # The command name is in parentheses and may hold spaces: split after its last ')'.
    return text[text.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None:
            tree.setdefault(int(fields[1]), []).append(int(entry.name))
    return tree


def _tree_seconds(root: int, tree: Mapping[int, list[int]]) -> float:
    total = 0.0
    stack = [root]
    while stack:
        pid = stack.pop()
        fields = _stat_fields(pid)
        if fields is not None:
            # utime, stime, cutime, cstime: fields 14-17 of stat(5), 12-15 after the name.
            total += sum(int(v) for v in fields[11:15]) * _TICK_S
        stack.extend(tree.get(pid, ()))
    return total


def _machine_busy_seconds() -> float:
    first = (_PROC / "stat").read_text().splitlines()[0].split()
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(v) for v in first[1:9])
    return (user + nice + system + irq + softirq + steal) * _TICK_S


def _children_rusage_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass(frozen=True)
class CpuSplit:
    """CPU seconds each part spent during one run, and the machine's busy seconds."""

    seconds: dict[str, float]
    machine: float

    def per_request_us(self, requests: int) -> dict[str, float]:
        """µs of CPU per request of each part, "other" being the machine's rest."""
        n = max(requests, 1)
        parts = {name: 1e6 * s / n for name, s in self.seconds.items()}
        parts["other (the benchmark, the kernel, neighbours)"] = max(
            0.0, 1e6 * (self.machine - sum(self.seconds.values())) / n
        )
        return parts


class CpuMeter:
    """Reads the CPU time of named process trees around a run (``with meter.run(): ...``)."""

    WRK = "wrk (load generator)"

    def __init__(self, roots: Mapping[str, Callable[[], int | None]]) -> None:
        # Callables: the service's process changes between phases of the benchmark.
        self._roots = roots

    def _now(self) -> tuple[dict[str, float], float]:
        tree = _children()
        seconds = {}
        for name, root in self._roots.items():
            pid = root()
            if pid is not None:
                seconds[name] = _tree_seconds(pid, tree)
        seconds[self.WRK] = _children_rusage_seconds()
        return seconds, _machine_busy_seconds()

    def measure(self, run: Callable[[], T]) -> tuple[T, CpuSplit]:
        before, machine_before = self._now()
        result = run()
        after, machine_after = self._now()
        return result, CpuSplit(
            seconds={name: max(0.0, after[name] - before.get(name, after[name])) for name in after},
            machine=machine_after - machine_before,
        )
