"""``vmeste faults``: inject faults while ballots and comments stream in, and account for them.

While concurrent clients cast ballots (each a new voter, retried with the same
Idempotency-Key like a phone would; every fifth a repeat by someone who already voted) and
submit comments, one fault at a time is injected:

* **redis**: SIGKILL redis-server, then start it again, empty;
* **postgres**: fast shutdown of PostgreSQL, then start it again;
* **replica**: SIGKILL one polls replica (the integrator's lease holder) and one discussions
  replica behind nginx, restarted afterwards as an orchestrator would;
* **disk-full**: the SQLite folder of the embedded (``vmeste dev``) shape lives on a small
  tmpfs, which is filled to the last byte and then freed (needs root to mount).

After each fault the load stops, the poll closes by itself (an open poll publishes no board:
its ballots wait in the pool until they are mixed), every receipt is looked up on the final
board, the board is audited, and one row per stream says what was refused (by status), how
many receipts were issued and entries found, how many were lost or counted twice, and how long
the service took to accept again after the dependency came back. The servers run on 127.0.0.1
only and every loop is bounded in count and time.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import datetime as dt
import errno
import io
import os
import random
import secrets
import shutil
import signal
import subprocess
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec

from ops.keys import ensure_keys
from ops.localproc import (
    SERVICE_APPS,
    RedisProcess,
    free_port,
    granian_command,
    start_redis,
    wait_listening,
)
from shared.db.migrate import migrate
from shared.identity.claims import OrganisationGrant
from shared.identity.keys import SessionKeyRing
from shared.identity.tokens import SessionClaims, TokenService
from shared.log.audit import audit_board
from shared.log.checkpoint import parse_checkpoint
from shared.log.cosignature import note_parts
from shared.log.merkle import leaf_hash

__all__ = (
    "FAULTS",
    "Embedded",
    "FaultRow",
    "LoadShape",
    "Mint",
    "format_table",
    "run_cluster_fault",
    "run_disk_fault",
    "run_faults",
)

FAULTS = ("redis", "postgres", "replica", "disk-full")

_MUNICIPALITY = "92701000001"
_QUESTIONS: list[dict[str, Any]] = [
    {
        "kind": "single_choice",
        "id": "park",
        "text": "Should the park get new lights?",
        "options": [{"id": "yes", "label": "Yes"}, {"id": "no", "label": "No"}],
    },
    {"kind": "scale", "id": "happy", "text": "How happy are you?", "min": 1, "max": 5},
]
_DRAFT = "# 1. Общие положения\nПравила благоустройства.\n\n# 2. Озеленение\nДеревья.\n"
_RETRY_PAUSE_S = 0.2
"""Clients retry faster than Retry-After asks, so recovery is measured to a fifth of a second."""


@dataclass(frozen=True)
class LoadShape:
    """How hard and how long each fault is driven."""

    casters: int = 6
    commenters: int = 3
    warmup_s: float = 1.5
    outage_s: float = 2.5
    tail_s: float = 1.5
    recover_within_s: float = 20.0
    close_after_s: float = 18.0
    """The drill's poll closes this long after it opens: after the load (warm-up, outage, a
    recovery of up to ~10 s, tail), so that the final board can be audited."""
    max_items_per_client: int = 400
    attempts_per_item: int = 150
    item_budget_s: float = 40.0
    repeat_every: int = 5


SMALL = LoadShape(casters=3, commenters=2, max_items_per_client=800)


# --- people --------------------------------------------------------------------------------


class Mint:
    """Session tokens signed with the deployment's session key, as the identity service does."""

    def __init__(self, keys_dir: Path) -> None:
        self._tokens = TokenService(
            SessionKeyRing.load(keys_dir, create=False), lifetime=dt.timedelta(hours=2)
        )

    def _token(self, roles: tuple[str, ...], orgs: tuple[OrganisationGrant, ...] = ()) -> str:
        claims = SessionClaims(
            sub=secrets.token_hex(16),
            trusted=True,
            birth_date=dt.date(1980, 5, 17),
            oktmo=_MUNICIPALITY,
            region=_MUNICIPALITY[:2],
            roles=roles,
            orgs=orgs,
            sid=secrets.token_hex(8),
        )
        return self._tokens.issue(claims)[0]

    def citizen(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token(('citizen',))}"}

    def official(self) -> dict[str, str]:
        grant = OrganisationGrant(
            org="kazan",
            role="official",
            territory=("92701",),
            permissions=("polls:manage", "discussions:manage", "moderate", "respond"),
        )
        return {"Authorization": f"Bearer {self._token(('citizen', 'official'), (grant,))}"}


# --- what the load saw -----------------------------------------------------------------------


@dataclass
class Stream:
    """One kind of submission (casts or comments) as its clients saw it."""

    name: str
    statuses: Counter[int] = field(default_factory=Counter)
    transport_errors: int = 0
    no_retry_after: int = 0
    """503 answers without a Retry-After header."""
    receipts: dict[str, str] = field(default_factory=dict)
    """Submitter → entry hash (hex) of the receipt they hold."""
    accepted_at: list[float] = field(default_factory=list)
    """Monotonic send time of every attempt that was answered 201."""
    repeats: int = 0
    repeats_accepted: int = 0
    """Repeat casts by a receipted voter answered with a receipt for a *different* entry."""
    unresolved: int = 0
    """Submissions still without a final answer when their attempt budget ran out."""
    unexpected: list[str] = field(default_factory=list)

    def refused(self) -> dict[int, int]:
        return {s: n for s, n in sorted(self.statuses.items()) if s != 201}


@dataclass
class FaultRow:
    fault: str
    stream: str
    refused: dict[int, int]
    transport_errors: int
    receipts: int
    entries: int
    missing: int
    duplicates: int
    server_errors: int
    no_retry_after: int
    unresolved: int
    recovery_s: float | None
    audit_errors: list[str]
    repeats: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return (
            self.missing == 0
            and self.duplicates == 0
            and self.server_errors == 0
            and self.no_retry_after == 0
            and self.unresolved == 0
            and self.recovery_s is not None
            and not self.audit_errors
        )


def format_table(rows: list[FaultRow]) -> str:
    header = (
        f"{'fault':<10} {'stream':<9} {'refused (by status)':<28} {'receipts':>8} "
        f"{'entries':>7} {'lost':>4} {'dupl':>4} {'500s':>4} {'recovery s':>10}  audit"
    )
    lines = [header, "-" * len(header)]
    for row in rows:
        refused = " ".join(f"{s}x{n}" for s, n in row.refused.items())
        if row.transport_errors:
            refused += f" conn-errx{row.transport_errors}"
        recovery = "never" if row.recovery_s is None else f"{row.recovery_s:.2f}"
        audit = "ok" if not row.audit_errors else f"FAILED ({len(row.audit_errors)})"
        lines.append(
            f"{row.fault:<10} {row.stream:<9} {(refused.strip() or '-'):<28} {row.receipts:>8} "
            f"{row.entries:>7} {row.missing:>4} {row.duplicates:>4} {row.server_errors:>4} "
            f"{recovery:>10}  {audit}"
        )
        for note in row.notes:
            lines.append(f"{'':<10} note: {note}")
    return "\n".join(lines)


# --- clients --------------------------------------------------------------------------------


async def _submit(
    stream: Stream,
    send: Callable[[], Awaitable[httpx.Response]],
    budget_s: float,
    attempts: int,
) -> httpx.Response | None:
    """Send until a final answer: 201 or a refusal that retrying cannot change."""
    deadline = time.monotonic() + budget_s
    for _ in range(attempts):
        sent = time.monotonic()
        try:
            response = await send()
        except httpx.TransportError:
            stream.transport_errors += 1
        else:
            stream.statuses[response.status_code] += 1
            if response.status_code == 201:
                stream.accepted_at.append(sent)
                return response
            if response.status_code == 503 and "retry-after" not in response.headers:
                stream.no_retry_after += 1
            if response.status_code not in (500, 502, 503, 504):
                return response
        if time.monotonic() + _RETRY_PAUSE_S > deadline:
            break
        await asyncio.sleep(_RETRY_PAUSE_S)
    stream.unresolved += 1
    return None


async def _caster(
    client: httpx.AsyncClient,
    mint: Mint,
    poll_id: str,
    stream: Stream,
    stop: asyncio.Event,
    shape: LoadShape,
    rng: random.Random,
) -> None:
    path = f"/api/v1/polls/{poll_id}/ballots"
    voters: list[tuple[str, dict[str, str]]] = []
    for n in range(shape.max_items_per_client):
        if stop.is_set():
            return
        if voters and n % shape.repeat_every == 0:
            # Someone who holds a receipt tries again (another phone, another key).
            voter_id, headers = rng.choice(voters)
            stream.repeats += 1
            key = uuid.uuid4().hex
            answer = await _submit(
                stream,
                lambda h=headers, k=key: client.post(  # type: ignore[misc]
                    path,
                    json={"answers": {"park": "no", "happy": 1}},
                    headers={**h, "Idempotency-Key": k},
                ),
                shape.item_budget_s,
                shape.attempts_per_item,
            )
            if answer is not None and answer.status_code == 201:
                if answer.json()["entry_hash"] != stream.receipts[voter_id]:
                    stream.repeats_accepted += 1
            elif answer is not None and answer.status_code != 409:
                stream.unexpected.append(f"repeat cast: {answer.status_code} {answer.text[:200]}")
            continue
        headers = mint.citizen()
        key = uuid.uuid4().hex
        answers = {"park": rng.choice(("yes", "no")), "happy": rng.randint(1, 5)}
        answer = await _submit(
            stream,
            lambda h=headers, k=key, a=answers: client.post(  # type: ignore[misc]
                path, json={"answers": a}, headers={**h, "Idempotency-Key": k}
            ),
            shape.item_budget_s,
            shape.attempts_per_item,
        )
        if answer is None:
            continue
        if answer.status_code == 201:
            voter_id = uuid.uuid4().hex
            stream.receipts[voter_id] = str(answer.json()["entry_hash"])
            voters.append((voter_id, headers))
        else:
            stream.unexpected.append(f"cast: {answer.status_code} {answer.text[:200]}")


async def _commenter(
    client: httpx.AsyncClient,
    mint: Mint,
    period_id: str,
    stream: Stream,
    stop: asyncio.Event,
    shape: LoadShape,
) -> None:
    path = f"/api/v1/periods/{period_id}/comments"
    for _ in range(shape.max_items_per_client):
        if stop.is_set():
            return
        # Like a phone: one Idempotency-Key per comment, sent again with every retry.
        headers = {**mint.citizen(), "Idempotency-Key": uuid.uuid4().hex}
        body = {
            "section": "",
            "stance": "support",
            "text": f"Комментарий {uuid.uuid4().hex[:8]}",
            "proposed_wording": "",
        }
        answer = await _submit(
            stream,
            lambda h=headers, b=body: client.post(path, json=b, headers=h),  # type: ignore[misc]
            shape.item_budget_s,
            shape.attempts_per_item,
        )
        if answer is None:
            continue
        if answer.status_code == 201:
            stream.receipts[uuid.uuid4().hex] = str(answer.json()["entry_hash"])
        else:
            stream.unexpected.append(f"comment: {answer.status_code} {answer.text[:200]}")


# --- the targets ----------------------------------------------------------------------------


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def _retrying(
    call: Callable[[], Awaitable[httpx.Response]], want: int, what: str
) -> httpx.Response:
    """Set-up calls outside the fault window still tolerate a replica restarting."""
    last = ""
    for _ in range(60):
        try:
            response = await call()
        except httpx.TransportError as exc:
            last = repr(exc)
        else:
            if response.status_code == want:
                return response
            last = f"{response.status_code} {response.text[:300]}"
            if response.status_code not in (502, 503, 504):
                break
        await asyncio.sleep(0.25)
    raise RuntimeError(f"{what} failed: {last}")


async def open_poll(
    client: httpx.AsyncClient, official: dict[str, str], close_after_s: float
) -> str:
    body = {
        "organisation": "kazan",
        "title": "Fault drill",
        "kind": "survey",
        "questions": _QUESTIONS,
        "eligibility": {},
        "opens_at": _now().isoformat(),
        "closes_at": (_now() + dt.timedelta(seconds=close_after_s)).isoformat(),
    }
    created = await _retrying(
        lambda: client.post("/api/v1/polls", json=body, headers=official), 201, "create poll"
    )
    poll_id = str(created.json()["id"])
    await _retrying(
        lambda: client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official),
        200,
        "schedule poll",
    )
    for _ in range(300):
        got = await client.get(f"/api/v1/polls/{poll_id}", headers=official)
        if got.status_code == 200 and got.json().get("status") == "open":
            return poll_id
        await asyncio.sleep(0.05)
    raise RuntimeError(f"poll {poll_id} did not open")


async def wait_tallied(
    client: httpx.AsyncClient, official: dict[str, str], poll_id: str, within_s: float
) -> None:
    """Until the poll has closed by itself and its final board is complete."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            got = await client.get(f"/api/v1/polls/{poll_id}", headers=official)
            if got.status_code == 200 and got.json().get("status") == "tallied":
                return
        await asyncio.sleep(0.25)
    raise RuntimeError(f"poll {poll_id} was not tallied within {within_s:.0f} s")


async def open_period(client: httpx.AsyncClient, official: dict[str, str]) -> str:
    draft = await _retrying(
        lambda: client.post(
            "/api/v1/drafts",
            json={
                "organisation": "kazan",
                "title": "О правилах благоустройства",
                "kind": "постановление",
                "summary": "Учения на отказ.",
                "official_position": "Начальник управления",
                "markdown": _DRAFT,
            },
            headers=official,
        ),
        201,
        "create draft",
    )
    period = await _retrying(
        lambda: client.post(
            f"/api/v1/drafts/{draft.json()['id']}/periods",
            json={
                "starts_at": (_now() - dt.timedelta(seconds=1)).isoformat(),
                "ends_at": (_now() + dt.timedelta(hours=2)).isoformat(),
                "eligibility": {"min_age": 14},
            },
            headers=official,
        ),
        201,
        "create period",
    )
    period_id = str(period.json()["id"])
    await _retrying(
        lambda: client.post(f"/api/v1/periods/{period_id}/announce", headers=official),
        201,
        "announce period",
    )
    for _ in range(300):
        got = await client.get(f"/api/v1/periods/{period_id}")
        if got.status_code == 200 and got.json().get("status") == "open":
            return period_id
        await asyncio.sleep(0.05)
    raise RuntimeError(f"period {period_id} did not open")


async def _board(
    client: httpx.AsyncClient, log_id: str, official: dict[str, str], at_least: int
) -> tuple[bytes, list[str]]:
    """The log's board once its checkpoint covers every accepted entry (and stopped growing)."""
    deadline = time.monotonic() + 40
    seen, stable_since = -1, time.monotonic()
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            note = await client.get(f"/api/v1/logs/{log_id}/checkpoint")
            ok = note.status_code == 200
            size = parse_checkpoint(note_parts(note.text)[0]).size if ok else -1
            if size != seen:
                seen, stable_since = size, time.monotonic()
            elif size >= at_least and time.monotonic() - stable_since > 1.5:
                break
        await asyncio.sleep(0.25)
    board = await _retrying(
        lambda: client.get(f"/api/v1/logs/{log_id}/board", headers=official), 200, "board"
    )
    keys = await _retrying(lambda: client.get("/api/v1/keys"), 200, "keys")
    return board.content, [str(k) for k in keys.json()["keys"]]


async def _account(
    fault: str,
    stream: Stream,
    client: httpx.AsyncClient,
    log_id: str,
    official: dict[str, str],
    restored_at: float,
) -> FaultRow:
    from shared.comment_period.report import report_from_board
    from shared.tally.results import recompute_from_board

    board, keys = await _board(client, log_id, official, len(stream.receipts))
    tally = recompute_from_board if stream.name == "casts" else report_from_board
    report = await asyncio.to_thread(
        audit_board,
        io.BytesIO(board),
        trusted_keys=keys,
        tally=tally,
    )
    entries = [
        base64.b64decode(e)
        for line in board.splitlines()
        if b'"type":"entries"' in line
        for e in msgspec.json.decode(line)["entries"]
    ]
    in_log = {leaf_hash(e).hex() for e in entries}
    receipted = set(stream.receipts.values())
    missing = len(receipted - in_log)
    # Counted twice: the same entry twice, a second receipt for a voter who had one, or an
    # entry nobody holds a receipt for although every submission got its final answer.
    unreceipted = len(in_log - receipted)
    duplicates = (len(entries) - len(in_log)) + stream.repeats_accepted
    duplicates += unreceipted if stream.unresolved == 0 else 0
    later = [t - restored_at for t in stream.accepted_at if t >= restored_at]
    notes = list(dict.fromkeys(stream.unexpected))[:5]
    if unreceipted and stream.unresolved:
        notes.append(f"{unreceipted} entries without receipt; {stream.unresolved} unresolved")
    return FaultRow(
        fault=fault,
        stream=stream.name,
        refused=stream.refused(),
        transport_errors=stream.transport_errors,
        receipts=len(stream.receipts),
        entries=len(entries),
        missing=missing,
        duplicates=duplicates,
        server_errors=stream.statuses.get(500, 0),
        no_retry_after=stream.no_retry_after,
        unresolved=stream.unresolved,
        recovery_s=min(later) if later else None,
        audit_errors=[f"{f.code}: {f.message}" for f in report.errors],
        repeats=stream.repeats,
        notes=notes,
    )


async def drive(
    fault: str,
    polls_url: str,
    discussions_url: str,
    mint: Mint,
    inject: Callable[[], Awaitable[None]],
    restore: Callable[[], Awaitable[None]],
    shape: LoadShape,
) -> list[FaultRow]:
    """Open a poll and a period, load them, inject, restore, and account for everything."""
    official = mint.official()
    rng = random.Random(secrets.randbits(32))  # noqa: S311 - load shape, not security
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=32)
    async with (
        httpx.AsyncClient(base_url=polls_url, timeout=15, limits=limits) as polls,
        httpx.AsyncClient(base_url=discussions_url, timeout=15, limits=limits) as discussions,
    ):
        poll_id = await open_poll(polls, official, shape.close_after_s)
        period_id = await open_period(discussions, official)
        casts, comments = Stream("casts"), Stream("comments")
        stop = asyncio.Event()
        workers = [
            asyncio.create_task(_caster(polls, mint, poll_id, casts, stop, shape, rng))
            for _ in range(shape.casters)
        ] + [
            asyncio.create_task(_commenter(discussions, mint, period_id, comments, stop, shape))
            for _ in range(shape.commenters)
        ]
        try:
            await asyncio.sleep(shape.warmup_s)
            await inject()
            await asyncio.sleep(shape.outage_s)
            await restore()
            restored_at = time.monotonic()
            deadline = restored_at + shape.recover_within_s
            for _ in range(int(shape.recover_within_s / 0.05)):
                if time.monotonic() > deadline or all(
                    any(t >= restored_at for t in s.accepted_at) for s in (casts, comments)
                ):
                    break
                await asyncio.sleep(0.05)
            await asyncio.sleep(shape.tail_s)
        finally:
            stop.set()
            await asyncio.gather(*workers, return_exceptions=True)
        await wait_tallied(polls, official, poll_id, shape.close_after_s + 60)
        return [
            await _account(fault, casts, polls, poll_id, official, restored_at),
            await _account(fault, comments, discussions, period_id, official, restored_at),
        ]


# --- the cluster faults ---------------------------------------------------------------------


async def _lease_holder(cluster: Any) -> str | None:
    import asyncpg

    connection = await asyncpg.connect(cluster.database_url("polls"))
    try:
        row = await connection.fetchrow(
            "SELECT holder FROM lease WHERE name = 'ledger-integrator' AND expires_at >= $1",
            time.time(),
        )
    finally:
        await connection.close()
    return None if row is None else str(row["holder"])


async def run_cluster_fault(fault: str, cluster: Any, shape: LoadShape) -> list[FaultRow]:
    """One of redis, postgres, replica against a running :class:`ops.cluster.Cluster`."""
    mint = Mint(cluster.folder / "keys")
    killed: list[Any] = []

    async def inject() -> None:
        if fault == "redis":
            cluster.redis.kill()
        elif fault == "postgres":
            await asyncio.to_thread(cluster.postgres.stop, "fast")
        elif fault == "replica":
            holder = await _lease_holder(cluster)
            polls = [n for n in cluster.nodes if n.service == "polls" and n.alive()]
            victim = next((n for n in polls if holder and holder.startswith(f"{n.name}-")), None)
            victims = [victim or polls[0]]
            victims += [n for n in cluster.nodes if n.service == "discussions" and n.alive()][:1]
            for node in victims:
                node.kill()
            killed.extend(victims)
        else:
            raise ValueError(f"not a cluster fault: {fault}")

    async def restore() -> None:
        if fault == "redis":
            await asyncio.to_thread(cluster.redis.restart)
        elif fault == "postgres":
            await asyncio.to_thread(cluster.postgres.start)
        # replica: nothing to restore: the survivors must carry on alone (restarted below).

    try:
        return await drive(
            fault,
            cluster.url("polls"),
            cluster.url("discussions"),
            mint,
            inject,
            restore,
            shape,
        )
    finally:
        for node in killed:
            await asyncio.to_thread(cluster.restart, node)


# --- embedded mode and the full disk --------------------------------------------------------


@dataclass
class Embedded:
    """Both services on SQLite files in a folder of their own (``vmeste dev``'s shape), that
    folder being a small tmpfs so its disk can be filled."""

    folder: Path
    size_mb: int = 48
    redis: RedisProcess | None = None
    procs: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)
    ports: dict[str, int] = field(default_factory=dict)
    mounted: bool = False

    @property
    def sqlite_dir(self) -> Path:
        return self.folder / "sqlite"

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self) -> None:
        if os.geteuid() != 0:
            raise PermissionError("filling a disk needs root, to mount a small tmpfs")
        self.sqlite_dir.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                "mount",
                "-t",
                "tmpfs",
                "-o",
                f"size={self.size_mb}m,mode=0755",
                "tmpfs",
                str(self.sqlite_dir),
            ],
            check=True,
        )
        self.mounted = True
        self.redis = start_redis(self.folder / "redis")
        ensure_keys(self.folder / "keys")
        self.ports = {service: free_port() for service in SERVICE_APPS}
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")},
            "VMESTE_ENV": "dev",
            "VMESTE_DATA_DIR": str(self.folder),
            "VMESTE_REDIS_URL": self.redis.url,
            "VMESTE_RATE_LIMITS": "off",
            "VMESTE_POLLS_PUBLIC_URL": self.url("polls"),
            "VMESTE_DISCUSSIONS_PUBLIC_URL": self.url("discussions"),
        }
        for component in ("identity", "polls", "discussions"):
            url = f"sqlite:///{self.sqlite_dir / (component + '.sqlite')}"
            env[f"VMESTE_{component.upper()}_DATABASE_URL"] = url
            migrate(component, url)
        for service in SERVICE_APPS:
            self.procs[service] = subprocess.Popen(
                granian_command(service, "127.0.0.1", self.ports[service]),
                env=env,
                start_new_session=True,
            )
        for service, proc in self.procs.items():
            wait_listening(self.ports[service], proc, service, 60)

    def fill(self) -> int:
        """Write zeros until the folder's file system refuses; returns the bytes written."""
        written = 0
        with (self.sqlite_dir / "ballast").open("wb", buffering=0) as ballast:
            for block in (1 << 20, 1 << 12, 1 << 9):
                zeros = bytes(block)
                for _ in range((self.size_mb << 20) // block + 1):
                    try:
                        written += ballast.write(zeros) or 0
                    except OSError as exc:
                        if exc.errno != errno.ENOSPC:
                            raise
                        break
        return written

    def free(self) -> None:
        (self.sqlite_dir / "ballast").unlink(missing_ok=True)

    def stop(self) -> None:
        for proc in self.procs.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        if self.redis is not None:
            self.redis.stop()
        if self.mounted:
            done = subprocess.run(["umount", str(self.sqlite_dir)], check=False)
            if done.returncode != 0:
                subprocess.run(["umount", "-l", str(self.sqlite_dir)], check=False)
            self.mounted = False


async def run_disk_fault(embedded: Embedded, shape: LoadShape) -> list[FaultRow]:
    mint = Mint(embedded.folder / "keys")
    filled = 0

    async def inject() -> None:
        nonlocal filled
        filled = await asyncio.to_thread(embedded.fill)

    async def restore() -> None:
        await asyncio.to_thread(embedded.free)

    rows = await drive(
        "disk-full",
        embedded.url("polls"),
        embedded.url("discussions"),
        mint,
        inject,
        restore,
        shape,
    )
    for row in rows:
        row.notes.append(f"tmpfs of {embedded.size_mb} MB filled with {filled >> 20} MB")
    return rows


# --- everything, for the command ------------------------------------------------------------


@contextlib.asynccontextmanager
async def _cluster(folder: Path) -> AsyncIterator[Any]:
    from ops.cluster import Cluster

    running = Cluster(
        folder, replicas={"polls": 2, "discussions": 2}, extra_env={"VMESTE_RATE_LIMITS": "off"}
    )
    try:
        await asyncio.to_thread(running.start)
        yield running
    finally:
        await asyncio.to_thread(running.stop)


async def run_faults(
    folder: Path,
    faults: tuple[str, ...] = FAULTS,
    shape: LoadShape = SMALL,
    say: Callable[[str], None] = print,
) -> list[FaultRow]:
    """Run the chosen faults in turn; returns one row per fault and stream."""
    rows: list[FaultRow] = []
    cluster_faults = [f for f in faults if f in ("redis", "postgres", "replica")]
    if cluster_faults:
        say("starting PostgreSQL, Redis, replicas and nginx…")
        async with _cluster(folder / "cluster") as cluster:
            for fault in cluster_faults:
                say(f"fault: {fault}")
                rows += await run_cluster_fault(fault, cluster, shape)
    if "disk-full" in faults:
        if os.geteuid() != 0:
            say("disk-full: skipped (mounting the small tmpfs it fills needs root)")
        else:
            say("fault: disk-full (embedded SQLite mode)")
            embedded = Embedded(folder / "embedded")
            try:
                await asyncio.to_thread(embedded.start)
                rows += await run_disk_fault(embedded, shape)
            finally:
                await asyncio.to_thread(embedded.stop)
    return rows


def scratch_folder(base: Path | None) -> Path:
    if base is not None:
        base.mkdir(parents=True, exist_ok=True)
        return base.resolve()
    import tempfile

    return Path(tempfile.mkdtemp(prefix="vmeste-faults-"))


def remove_folder(folder: Path) -> None:
    shutil.rmtree(folder, ignore_errors=True)
