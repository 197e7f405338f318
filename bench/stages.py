"""Where a cast's CPU goes: a py-spy sampling profile of the service's workers, per stage.

py-spy (a dev dependency) samples the Python stacks of the granian workers while casts run
(``--subprocesses`` on the granian main process reaches every worker; it needs ptrace, so run
the benchmark as root or with ``kernel.yama.ptrace_scope = 0``). Idle samples are left out, so
a sample stands for 1/rate s of a worker's CPU. Each sample is given to one stage: the stack
is read from the innermost frame outwards and the first frame a rule recognises decides, so
the Ed25519 call inside the token check counts as token verification even though it runs
inside the identity middleware, and an asyncpg read counts for the commit that awaits it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

__all__ = ("IDLE", "STAGES", "Profile", "Profiler", "attribute")

# (stage, pattern on one frame "function (path:line)"). Code of our own that names a stage is
# looked for first, innermost frame first; only a stack none of it recognises goes to the
# generic layers (driver, client, middleware, framework, loop) it is in.
_SPECIFIC = (
    ("metrics (Prometheus)", r"prometheus_client/"),
    ("token verification", r"shared/identity/tokens\.py"),
    ("revocation check", r"shared/identity/sessions\.py"),
    # Not RateLimitMiddleware.handle: it is an outer frame of everything the route does.
    (
        "rate limit (Redis script)",
        r"RateLimitMiddleware\._(over_limit|counted|keys)|RateLimitKeys|LocalCounters"
        r"|client_address",
    ),
    ("eligibility", r"ineligibility|shared/eligibility"),
    ("voter tag", r"service_secret\.py"),
    ("Redis gate", r"RedisGate|shared/redis\.py"),
    ("receipt signing", r"shared/log/receipt|issue_receipt|shared/log/note"),
    (
        "pool/group commit",
        r"GroupCommitter|casting/store\.py|casting/pooling\.py|casting/sealing\.py",
    ),
    ("validation (body + answers)", r"shared/tally/|litestar/_kwargs|litestar/_signature"),
    ("cast (other domain code)", r"services/polls/casting/"),
    ("response", r"litestar/response/|litestar/serialization|cast_ballot"),
    ("background (mixer, log, scheduler)", r"casting/mixing|shared/log/|scheduler\.py"),
)
_GENERIC = (
    ("metrics (Prometheus)", r"litestar/plugins/prometheus|shared/web/metrics"),
    (
        "middleware (identity, headers)",
        r"shared/identity/middleware|shared/web/ratelimit|shared/web/headers"
        r"|litestar/middleware/",
    ),
    ("database driver", r"asyncpg/|piccolo/"),
    ("Redis client", r"redis/"),
    ("framework (routing, DI, ASGI)", r"litestar/"),
    ("waiting in epoll (idle)", r"select \(selectors\.py"),
    ("event loop and server", r"asyncio/|granian/|uvloop|selectors"),
)
_TIERS = tuple(
    tuple((stage, re.compile(pattern)) for stage, pattern in tier) for tier in (_SPECIFIC, _GENERIC)
)
NATIVE = "granian runtime (native, no Python frame)"
IDLE = "waiting in epoll (idle)"
STAGES = (*dict.fromkeys(stage for stage, _ in (*_SPECIFIC, *_GENERIC)), NATIVE, "other")


def attribute(frames: list[str]) -> str:
    """The stage of one sample (frames outermost first, as py-spy writes them)."""
    if not frames:
        return NATIVE
    for tier in _TIERS:
        for frame in reversed(frames):
            for stage, pattern in tier:
                if pattern.search(frame):
                    return stage
    return "other"


@dataclass
class Profile:
    rate: int
    samples: Counter[str]

    @property
    def total(self) -> int:
        """Samples of work: those of a loop waiting in epoll are not CPU spent."""
        return sum(n for stage, n in self.samples.items() if stage != IDLE)

    def cpu_us_per_request(self, stage: str, requests: int) -> float:
        return self.samples[stage] / self.rate * 1e6 / max(requests, 1)


class Profiler:
    """``py-spy record`` on a process tree for ``duration`` seconds, in the background."""

    def __init__(self, pid: int, out: Path, *, duration: int, rate: int = 100) -> None:
        self.rate = rate
        self._out = out
        self._process: subprocess.Popen[bytes] | None = None
        spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
        if not Path(spy).exists():
            self.error = "py-spy is not installed (uv sync installs it with the dev group)"
            return
        self.error = ""
        self._process = subprocess.Popen(
            [
                spy,
                "record",
                "--pid",
                str(pid),
                "--subprocesses",
                "--nonblocking",
                "--format",
                "raw",
                "--rate",
                str(rate),
                "--duration",
                str(duration),
                "-o",
                str(out),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def result(self) -> Profile | None:
        """Waits for py-spy; None (with ``error`` set) if it could not sample."""
        if self._process is None:
            return None
        _, stderr = self._process.communicate(timeout=120)
        if self._process.returncode != 0 or not self._out.exists():
            self.error = f"py-spy failed: {stderr.decode(errors='replace').strip()[-300:]}"
            return None
        samples: Counter[str] = Counter()
        for line in self._out.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            if not stack or not count.isdigit():
                continue
            frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
            samples[attribute(frames)] += int(count)
        return Profile(self.rate, samples)
