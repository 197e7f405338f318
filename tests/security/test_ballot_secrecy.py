"""Ballot secrecy (SECRECY.md): nobody can tie a ballot to its voter, on a real run.

A poll runs on the real app (its integrator, mixer and scheduler, a real Redis, SQLite and
PostgreSQL) while voters cast at recorded moments. Four observers watch it, each with the
best attacks written here, and all of them together:

* **public**: polls every public endpoint and page of the poll every 50 ms during the vote
  and reads the final board; knows the exact moment each voter cast;
* **database**: dumps every table of the polls and identity databases, with each row's
  physical position (SQLite ``rowid``, PostgreSQL ``ctid``) and transaction (``xmin``), at
  random moments and at the end;
* **Redis**: dumps every key, value and TTL at the same moments;
* **logs**: reads every log line the run printed.

Each attack turns what its observer saw into the voters each ballot may have come from; the
anonymity set of a ballot is what remains once every assignment that breaks a constraint is
excluded (:mod:`tests.security._anonymity`). Attacks may guess (arrival order in the rows'
order, acceptance minutes in time columns); a guess that excludes a ballot's real caster is
refuted and rules nobody out. The test asserts min |A(b)| >= min(k, N) for every observer
and prints the figures.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import json
import random
import re
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from litestar import Litestar

from services.polls.app import create_app
from shared.config import Settings
from shared.log.merkle import leaf_hash
from shared.log.receipt import tracking_code
from shared.tally.ballot import decode_entry
from tests.harness.asgi import app_client
from tests.harness.logs import captured_logs
from tests.harness.people import People
from tests.harness.redis_dump import RedisEntry, redis_dump
from tests.integration.polls._support import GOOD_ANSWERS, create, survey_body, wait_status
from tests.security._anonymity import score

pytestmark = pytest.mark.slow

_AEAD_OVERHEAD = 1 + 12 + 16
"""Version byte, nonce and tag around a sealed pool row (services.polls.casting.pooling)."""

Voter = int
Ballot = bytes
"""A ballot is named by its leaf hash."""


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def app(settings: Settings) -> Litestar:
    return create_app(settings)


@pytest.fixture
def people(settings: Settings) -> People:
    return People(settings.security.keys_dir, ("polls:manage",))


# --- what the observers collect --------------------------------------------------------


@dataclass
class Cast:
    sub: str
    start: float
    """When the voter pressed the button (the loop's clock)."""
    end: float
    """When the receipt came back."""
    entry_hash: bytes
    start_wall: dt.datetime
    end_wall: dt.datetime


@dataclass
class Dump:
    start: float
    end: float
    tables: dict[str, list[dict[str, Any]]]
    """Every row of every table of both databases, with ``_pos`` and ``_xmin``."""
    redis: list[RedisEntry]


@dataclass
class Watch:
    """What the public saw while polling."""

    closes_at: dt.datetime
    sizes: list[tuple[float, int]] = field(default_factory=list)
    entries: dict[bytes, float] = field(default_factory=dict)
    """Entry hash → when the public first saw the entry itself."""
    headers: dict[str, str] = field(default_factory=dict)
    """A citizen's session: "the public" is anyone who can sign in."""
    statuses: dict[str, set[int]] = field(default_factory=dict)
    while_open: dict[str, set[int]] = field(default_factory=dict)
    """Statuses of answers received before the poll's closing time."""


async def _watch_public(client: Any, poll_id: str, watch: Watch, stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    log = f"/api/v1/logs/{poll_id}"
    while not stop.is_set():
        checkpoint = await client.get(f"{log}/checkpoint", headers=watch.headers)
        now = loop.time()
        if checkpoint.status_code == 200:
            watch.sizes.append((now, int(checkpoint.text.split("\n")[1])))
        for name, path in (
            ("entries", f"{log}/entries"),
            ("board", f"{log}/board"),
            ("results", f"/api/v1/polls/{poll_id}/results"),
            ("results page", f"/polls/{poll_id}/results"),
            ("poll page", f"/polls/{poll_id}"),
        ):
            response = await client.get(path, headers=watch.headers)
            watch.statuses.setdefault(name, set()).add(response.status_code)
            if dt.datetime.now(dt.UTC) < watch.closes_at:
                watch.while_open.setdefault(name, set()).add(response.status_code)
            if response.status_code != 200:
                continue
            if name == "entries":
                for item in response.json()["entries"]:
                    watch.entries.setdefault(leaf_hash(base64.b64decode(item)), loop.time())
            elif name == "board":
                for line in response.text.splitlines():
                    row = json.loads(line)
                    for item in row.get("entries", []) if isinstance(row, dict) else []:
                        watch.entries.setdefault(leaf_hash(base64.b64decode(item)), loop.time())
        await asyncio.sleep(0.05)


async def _dump_databases(urls: Mapping[str, str]) -> dict[str, list[dict[str, Any]]]:
    tables: dict[str, list[dict[str, Any]]] = {}
    for component, url in urls.items():
        if url.startswith("sqlite"):
            path = url.split("sqlite:///", 1)[1]
            # One read transaction: a consistent snapshot of every table, as a backup is.
            with sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None) as db:
                db.row_factory = sqlite3.Row
                db.execute("BEGIN")
                names = [
                    r[0]
                    for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                    if not r[0].startswith("sqlite_")
                ]
                for name in names:
                    rows = db.execute(f'SELECT rowid AS _pos, * FROM "{name}"')  # noqa: S608
                    tables[f"{component}.{name}"] = [dict(r) | {"_xmin": None} for r in rows]
            continue
        connection = await asyncpg.connect(url)
        try:
            await connection.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            names = [
                r["tablename"]
                for r in await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            ]
            for name in names:
                rows = await connection.fetch(
                    f'SELECT ctid::text AS _pos, xmin::text AS _xmin, * FROM "{name}"'  # noqa: S608
                )
                tables[f"{component}.{name}"] = [dict(r) for r in rows]
        finally:
            await connection.close()
    return tables


def _position(value: object) -> tuple[int, ...]:
    """A row's physical place: SQLite rowid, or PostgreSQL ctid ``(page,offset)``."""
    if isinstance(value, int):
        return (value,)
    return tuple(int(part) for part in re.findall(r"\d+", str(value)))


def _bytes(value: object) -> bytes:
    return bytes(value) if isinstance(value, bytes | bytearray | memoryview) else b""


# --- the attacks ------------------------------------------------------------------------


def _voters_before(casts: list[Cast], moment: float) -> set[Voter]:
    return {v for v, c in enumerate(casts) if c.start < moment}


def _public_attacks(
    casts: list[Cast], board: list[bytes], watch: Watch
) -> dict[str, Callable[[], dict[Ballot, set[Voter]]]]:
    def timing() -> dict[Ballot, set[Voter]]:
        # A ballot is public from the first checkpoint that covers its leaf (or the first
        # time its entry was served): its caster had cast before then.
        seen: dict[Ballot, set[Voter]] = {}
        for index, entry_hash in enumerate(board):
            moments = [t for t, size in watch.sizes if size > index]
            if entry_hash in watch.entries:
                moments.append(watch.entries[entry_hash])
            if moments:
                seen[entry_hash] = _voters_before(casts, min(moments))
        return seen

    return {"first public sight": timing}


def _database_attacks(
    casts: list[Cast], board: list[bytes], dumps: list[Dump]
) -> dict[str, Callable[[], dict[Ballot, set[Voter]]]]:
    def log_rows(dump: Dump) -> list[dict[str, Any]]:
        return dump.tables.get("polls.log_entry", [])

    def first_dump() -> dict[Ballot, set[Voter]]:
        seen: dict[Ballot, set[Voter]] = {}
        for dump in dumps:
            for row in log_rows(dump):
                seen.setdefault(_bytes(row["entry_hash"]), _voters_before(casts, dump.end))
        return seen

    def arrival_order() -> dict[Ballot, set[Voter]]:
        # Guess: rows lie in the order they were written, and ballots were written as they
        # arrived. The i-th row then belongs to a voter who could have been i-th to commit.
        rows = sorted(log_rows(dumps[-1]), key=lambda r: _position(r["_pos"]))
        guess: dict[Ballot, set[Voter]] = {}
        for rank, row in enumerate(rows):
            guess[_bytes(row["entry_hash"])] = {
                v
                for v, c in enumerate(casts)
                if sum(1 for o in casts if o.end < c.start)
                <= rank
                <= sum(1 for o in casts if o.start < c.end) - 1
            }
        return guess

    def acceptance_minute() -> dict[Ballot, set[Voter]]:
        # Guess: the time column of a log row is its ballot's acceptance minute.
        guess: dict[Ballot, set[Voter]] = {}
        for row in log_rows(dumps[-1]):
            minute = _minute(row["received_minute"])
            guess[_bytes(row["entry_hash"])] = {
                v
                for v, c in enumerate(casts)
                if _minute(c.start_wall) <= minute <= _minute(c.end_wall)
            }
        return guess

    def dump_intervals(c: Cast) -> set[int]:
        """Dumps j such that this voter's rows may have been committed after dump j-1 began
        and before dump j ended."""
        out = set()
        for j, dump in enumerate(dumps):
            previous_start = dumps[j - 1].start if j else float("-inf")
            if c.start < dump.end and c.end > previous_start:
                out.add(j)
        return out

    def same_transaction() -> dict[Ballot, set[Voter]]:
        # PostgreSQL: a ballot row written by the transaction that wrote some participation
        # rows belongs to a voter who committed when those rows first appeared.
        first_seen: dict[str, int] = {}
        for j, dump in enumerate(dumps):
            for row in dump.tables.get("polls.participation", []):
                if row["_xmin"] is not None:
                    first_seen.setdefault(str(row["_xmin"]), j)
        guess: dict[Ballot, set[Voter]] = {}
        for row in log_rows(dumps[-1]):
            seen = first_seen.get(str(row["_xmin"]))
            if seen is not None:
                guess[_bytes(row["entry_hash"])] = {
                    v for v, c in enumerate(casts) if seen in dump_intervals(c)
                }
        return guess

    def pool_passage() -> dict[Ballot, set[Voter]]:
        # A pool row first seen in dump j and gone by dump m carried a ballot of a voter who
        # committed between dumps j-1 and j into one of the entries that appeared between
        # dumps m-1 and m.
        entered: dict[object, int] = {}
        left: dict[object, int] = {}
        for j, dump in enumerate(dumps):
            present = {row["id"] for row in dump.tables.get("polls.ballot_pool", [])}
            for row_id in present:
                entered.setdefault(row_id, j)
            for row_id in list(entered):
                if row_id not in present and row_id not in left and entered[row_id] < j:
                    left[row_id] = j
        if not entered:
            return {}
        appeared: dict[Ballot, int] = {}
        for m, dump in enumerate(dumps):
            for row in log_rows(dump):
                appeared.setdefault(_bytes(row["entry_hash"]), m)
        # A row written and mixed between two dumps is never seen: that route is open to all.
        routes = {(entered[r], left[r]) for r in left} | {(j, j) for j in range(len(dumps))}
        windows = {v: dump_intervals(c) for v, c in enumerate(casts)}
        guess: dict[Ballot, set[Voter]] = {}
        for entry_hash, m in appeared.items():
            guess[entry_hash] = {
                v for v, js in windows.items() if not js or any((j, m) in routes for j in js)
            }
        return guess

    def sealed_length() -> dict[Ballot, set[Voter]]:
        # Guess: a pool row's ciphertext is its ballot plus a constant AEAD overhead (version,
        # nonce, tag), so a voter whose row was seen can only have cast a ballot of that length.
        lengths: dict[int, set[int]] = {}
        for j, dump in enumerate(dumps):
            for row in dump.tables.get("polls.ballot_pool", []):
                lengths.setdefault(len(_bytes(row["sealed"])) - _AEAD_OVERHEAD, set()).add(j)
        if not lengths:
            return {}
        seen_in = {v: dump_intervals(c) for v, c in enumerate(casts)}
        entries = {
            _bytes(row["entry_hash"]): len(_bytes(row["entry"])) for row in log_rows(dumps[-1])
        }
        guess: dict[Ballot, set[Voter]] = {}
        for entry_hash, size in entries.items():
            guess[entry_hash] = {
                v
                for v, js in seen_in.items()
                # (guessing that some dump saw every voter's pool row)
                if size in lengths and js & lengths[size]
            }
        return guess

    return {
        "first dump": first_dump,
        "sealed length is ballot length": sealed_length,
        "row order is arrival order": arrival_order,
        "time column is acceptance minute": acceptance_minute,
        "same transaction as participation": same_transaction,
        "pool passage between dumps": pool_passage,
    }


def _minute(value: object) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    assert isinstance(value, dt.datetime)
    value = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).replace(second=0, microsecond=0)


def _redis_attacks(
    casts: list[Cast], dumps: list[Dump]
) -> dict[str, Callable[[], dict[Ballot, set[Voter]]]]:
    def keys_to_ballots() -> dict[Ballot, set[Voter]]:
        # Nothing a ballot carries (its hash, tracking code or nonce) may be in Redis; if it
        # is, its ballot belongs to a voter who cast before the key appeared.
        guess: dict[Ballot, set[Voter]] = {}
        for dump in dumps:
            blob = "\n".join(e.key + e.value.decode("latin-1") for e in dump.redis)
            for c in casts:
                for needle in (c.entry_hash.hex(), tracking_code(c.entry_hash)):
                    if needle in blob:
                        guess.setdefault(c.entry_hash, _voters_before(casts, dump.end))
        return guess

    return {"ballot data in Redis": keys_to_ballots}


def _log_attacks(
    casts: list[Cast], lines: list[str], board_entries: Mapping[Ballot, bytes]
) -> dict[str, Callable[[], dict[Ballot, set[Voter]]]]:
    def mentions() -> dict[Ballot, set[Voter]]:
        # A log line naming a ballot (hash, tracking code or nonce) next to a subject names
        # its caster; a line naming only the ballot dates it.
        needles = {
            entry_hash: (entry_hash.hex(), tracking_code(entry_hash), decode_entry(entry).nonce)
            for entry_hash, entry in board_entries.items()
        }
        guess: dict[Ballot, set[Voter]] = {}
        for line in lines:
            for entry_hash, names in needles.items():
                if any(n in line for n in names):
                    named = {v for v, c in enumerate(casts) if c.sub in line}
                    guess[entry_hash] = named or set(range(len(casts)))
        return guess

    return {"ballots named in log lines": mentions}


# --- the run ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    voters: int
    k: int
    mean_gap_s: float
    dumps: int


async def _run(
    app: Litestar,
    people: People,
    settings: Settings,
    scenario: Scenario,
    report_figures: Callable[[str], None],
) -> dict[str, int]:
    rng = random.Random()
    duration = scenario.voters * scenario.mean_gap_s
    urls = {c: settings.database.urls[c] for c in ("polls", "identity")}
    with captured_logs() as lines:
        board_text, casts, watch, dumps, tags = await _vote(
            app, people, settings, scenario, rng, urls, duration
        )
    return _judge(board_text, casts, watch, dumps, tags, lines, scenario, report_figures)


async def _vote(
    app: Litestar,
    people: People,
    settings: Settings,
    scenario: Scenario,
    rng: random.Random,
    urls: Mapping[str, str],
    duration: float,
) -> tuple[str, list[Cast], Watch, list[Dump], set[str]]:
    loop = asyncio.get_running_loop()
    async with app_client(app) as client:
        official = people.official()
        body = survey_body(closes_in=duration + 4.0, anonymity_batch=scenario.k)
        poll_id = await create(client, official, body)
        await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official)
        await wait_status(client, official, poll_id, "open")
        casts: list[Cast] = []
        watch = Watch(
            closes_at=dt.datetime.fromisoformat(body["closes_at"]), headers=people.citizen()
        )
        dumps: list[Dump] = []
        stop = asyncio.Event()

        async def voter(at: float) -> None:
            await asyncio.sleep(at)
            sub = f"{rng.getrandbits(128):032x}"
            headers = people.citizen(sub=sub)
            start, start_wall = loop.time(), dt.datetime.now(dt.UTC)
            response = await client.post(
                f"/api/v1/polls/{poll_id}/ballots",
                json={"answers": _answers(rng)},
                headers=headers,
            )
            assert response.status_code == 201, response.text
            entry_hash = bytes.fromhex(response.json()["entry_hash"])
            casts.append(
                Cast(sub, start, loop.time(), entry_hash, start_wall, dt.datetime.now(dt.UTC))
            )

        async def dump_at(at: float) -> None:
            await asyncio.sleep(at)
            start = loop.time()
            tables = await _dump_databases(urls)
            redis = await redis_dump(str(settings.redis.url))
            dumps.append(Dump(start, loop.time(), tables, redis))

        moments = sorted(rng.uniform(0, duration + 3.0) for _ in range(scenario.dumps))
        gaps = [rng.expovariate(1 / scenario.mean_gap_s) for _ in range(scenario.voters)]
        times = [sum(gaps[: i + 1]) for i in range(scenario.voters)]
        times = [t * duration / times[-1] for t in times]  # the whole vote within `duration`
        watcher = asyncio.create_task(_watch_public(client, poll_id, watch, stop))
        await asyncio.gather(*(voter(t) for t in times), *(dump_at(t) for t in moments))
        await wait_status(client, official, poll_id, "tallied", wait_s=duration + 30)
        stop.set()
        await watcher
        await dump_at(0)
        dumps.sort(key=lambda d: d.start)
        board_text = (await client.get(f"/api/v1/logs/{poll_id}/board")).text
        tags = {app.state.polls.casting.secret.voter_tag(poll_id, c.sub) for c in casts}
    return board_text, casts, watch, dumps, tags


def _judge(
    board_text: str,
    casts: list[Cast],
    watch: Watch,
    dumps: list[Dump],
    tags: set[str],
    lines: list[str],
    scenario: Scenario,
    report_figures: Callable[[str], None],
) -> dict[str, int]:
    board_rows = [json.loads(line) for line in board_text.splitlines()]
    entries = [base64.b64decode(e) for row in board_rows for e in row.get("entries", [])]
    board = [leaf_hash(e) for e in entries]
    truth = {c.entry_hash: v for v, c in enumerate(casts)}
    assert sorted(board) == sorted(truth), "every receipt is on the final board, once"

    # Hygiene the observers would otherwise exploit directly.
    assert watch.while_open["entries"] == {409}, watch.while_open
    assert watch.while_open["board"] == {409}, watch.while_open
    assert watch.while_open["results"] == {409}, watch.while_open
    # Every checkpoint the log ever signed added one mixed batch of at least k (the last one
    # included): the public sees nothing finer.
    sizes = sorted({int(row["size"]) for row in dumps[-1].tables["polls.log_checkpoint"]})
    batches = [after - before for before, after in zip([0, *sizes], sizes, strict=False)]
    assert min(batches) >= min(scenario.k, len(casts)), batches
    # Once tallied, nothing the service secret could open links a voter to a ballot.
    assert all(not _bytes(r["sealed"]) for r in dumps[-1].tables["polls.participation"])
    names = [c.sub for c in casts] + sorted(tags)
    leaked = [
        name
        for dump in dumps
        for entry in dump.redis
        for name in names
        if name in entry.key or name.encode() in entry.value
    ]
    assert leaked == [], "Redis names a subject or a voter tag"
    assert not [line for line in lines for name in names if name in line], "a log names a voter"

    ballots, voters = board, list(range(len(casts)))
    public = _public_attacks(casts, board, watch)
    database = _database_attacks(casts, board, dumps)
    redis = _redis_attacks(casts, dumps)
    logs = _log_attacks(casts, lines, dict(zip(board, entries, strict=True)))
    observers = {
        "public": public,
        "database": database,
        "redis": redis,
        "logs": logs,
        "combined": {**public, **database, **redis, **logs},
    }
    smallest: dict[str, int] = {}
    report = [
        f"N={len(casts)} k={scenario.k} dumps={len(dumps)} public polls={len(watch.sizes)} "
        f"answers while open={watch.while_open} batches={batches}"
    ]
    for name, attacks in observers.items():
        result, _, refuted = score(name, ballots, voters, attacks, truth)
        smallest[name] = result.smallest
        report.append(
            f"  {name:9} min anonymity set {result.smallest:4}  (k={scenario.k}, N={len(casts)})"
            + (f"  refuted guesses: {', '.join(refuted)}" if refuted else "")
        )
    report_figures("ballot secrecy: " + "\n".join(report))
    return smallest


def _answers(rng: random.Random) -> dict[str, Any]:
    return {
        **GOOD_ANSWERS,
        "park": rng.choice(["yes", "no"]),
        "use": sorted(rng.sample(["walk", "sport", "kids"], rng.randint(1, 2))),
        "happy": rng.randint(1, 5),
    }


async def test_no_observer_can_narrow_a_ballot_below_k_voters(
    app: Litestar, people: People, settings: Settings, report_figures: Callable[[str], None]
) -> None:
    scenario = Scenario(voters=200, k=20, mean_gap_s=0.06, dumps=6)
    smallest = await _run(app, people, settings, scenario, report_figures)
    bound = min(scenario.k, scenario.voters)
    assert all(n >= bound for n in smallest.values()), smallest


async def test_a_slow_trickle_with_a_small_k_keeps_every_batch_at_least_k(
    app: Litestar, people: People, settings: Settings, report_figures: Callable[[str], None]
) -> None:
    scenario = Scenario(voters=45, k=10, mean_gap_s=0.15, dumps=5)
    smallest = await _run(app, people, settings, scenario, report_figures)
    assert all(n >= scenario.k for n in smallest.values()), smallest
