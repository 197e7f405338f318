"""CPU per request of the services in one process: no server, no load generator.

    uv run python -m bench.inprocess [--requests 6000] [--concurrency 64] [--sqlite]

Under ``bench.cast`` the service's workers share two cores with PostgreSQL, Redis and wrk, and
its rates move by 10-15 % from run to run on this kind of machine, too much to judge a change
of a few per cent. This calls the ASGI applications directly from this process (a made-up
scope, the body handed over at once, the response collected) with ``--concurrency`` requests
in flight, and divides this process's CPU time by the requests served. What remains is the
Python of the request itself, plus whatever the app runs in the background meanwhile (for
casts: the mixer, the log's integrator). Two runs one after the other differ by about 5 %;
the machine's own speed drifts more than that over an hour, so compare runs made back to back.

Rows, each on fresh session tokens (the first request of a session, as every cast in
``bench.cast`` is):

* the bare Litestar POST of ``bench.cast`` and the service's own stack on a no-op
  authenticated POST (:mod:`bench.stack_app`): stack - bare is what the shared layers cost
  (identity with its Ed25519 verify and revocation check, abuse limit, metrics, request id,
  headers, problem handlers);
* the cast: cast - stack is what casting itself costs (gate, group commit, seals, receipt);
* the citizen's pages: the poll's page, the check page and the poll's widget; a citizen's
  comment sent to a discussion (its row, log entry and signed receipt), the discussion's page
  (a draft of four sections, its comments waiting for moderation) and the draft's widget.

PostgreSQL by default (the harness starts its own), ``--sqlite`` for the embedded default.
The figures are for comparing two versions of the code on one machine; they carry no target.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import secrets
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

from litestar import Litestar

from bench.cast import ANSWERS, QUESTIONS, bare_app
from bench.stack_app import NOOP_PATH, stack_app
from services.discussions.app import create_app as create_discussions_app
from services.polls.app import create_app
from shared.db.migrate import migrate
from shared.identity import registry
from shared.identity.claims import OrganisationGrant
from shared.identity.keys import SessionKeyRing
from shared.identity.tokens import SessionClaims, TokenService
from tests.harness.processes import start_postgres, start_redis

__all__ = ("Measured", "call", "main", "measure")

_ORGANISATION = "kazan"
_TERRITORY = "92701000"
_WARM_UP = 10
"""Requests per slot before a row is timed."""
_DRAFT = """# 1. Общие положения
Настоящее постановление устанавливает правила благоустройства.

# 2. Озеленение
## 2.1 Деревья
Вырубка деревьев допускается по разрешению.

## 2.2 Газоны
Газоны очищаются весной.
"""
"""The discussion's draft: four sections, as the discussions tests use."""
_COMMENT = json.dumps(
    {
        "section": "p2-1",
        "stance": "object",
        "text": "Предлагаю сохранить деревья во дворах.",
        "proposed_wording": "",
    }
).encode()
"""A citizen's comment on one section, as the discussions tests send it."""


@dataclass(frozen=True, slots=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class Measured:
    name: str
    requests: int
    cpu_us: float
    """This process's CPU time per request."""
    wall_us: float


async def call(app: Any, request: Request) -> tuple[int, bytes]:
    """One request straight into an ASGI app: (status, body)."""
    headers = [(k.lower().encode(), v.encode()) for k, v in request.headers.items()]
    headers.append((b"content-length", str(len(request.body)).encode()))
    path, _, query = request.path.partition("?")
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    delivered = False
    disconnected = asyncio.Event()

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": request.body, "more_body": False}
        await disconnected.wait()  # an app reading on waits for a disconnect that never comes
        return {"type": "http.disconnect"}

    status = 0
    body = bytearray()

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))

    await app(scope, receive, send)
    return status, bytes(body)


async def _run(
    app: Any, name: str, requests: Iterator[Request], count: int, concurrency: int
) -> Measured:
    """``count`` requests, ``concurrency`` at a time, after a warm-up of ``_WARM_UP`` per slot."""

    async def slot(n: int) -> None:
        for _ in range(n):
            request = next(requests)
            status, body = await call(app, request)
            if status >= 300:
                raise RuntimeError(f"{name}: {request.path} answered {status}: {body[:300]!r}")

    await asyncio.gather(*(slot(_WARM_UP) for _ in range(concurrency)))
    per_slot = max(1, count // concurrency)
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(slot(per_slot) for _ in range(concurrency)))
    served = per_slot * concurrency
    return Measured(
        name,
        served,
        (time.process_time() - cpu) * 1e6 / served,
        (time.perf_counter() - wall) * 1e6 / served,
    )


def _minter(keys_dir: Path) -> Callable[..., str]:
    tokens = TokenService(
        SessionKeyRing.load(keys_dir, create=True), lifetime=dt.timedelta(hours=2)
    )
    counter = iter(range(10**9))

    def token(orgs: tuple[OrganisationGrant, ...] = ()) -> str:
        claims = SessionClaims(
            sub=f"{next(counter):064x}",
            trusted=True,
            birth_date=dt.date(1980, 1, 1),
            oktmo=_TERRITORY + "001",
            region="92",
            roles=("citizen", "official") if orgs else ("citizen",),
            orgs=orgs,
            sid=secrets.token_hex(8),
        )
        return tokens.issue(claims)[0]

    return token


async def _open_period(app: Any, token: Callable[..., str]) -> tuple[str, str]:
    """A draft of the organisation and a comment period open on it: (draft id, period id)."""
    grant = OrganisationGrant(
        org=_ORGANISATION,
        role="official",
        territory=(_TERRITORY[:5],),
        permissions=("discussions:manage",),
    )
    official = {"authorization": "Bearer " + token((grant,)), "content-type": "application/json"}
    draft_body = {
        "organisation": _ORGANISATION,
        "title": "О правилах благоустройства",
        "kind": "постановление",
        "summary": "Новые правила благоустройства города.",
        "official_position": "Начальник управления благоустройства",
        "markdown": _DRAFT,
    }
    status, made = await call(
        app, Request("POST", "/api/v1/drafts", official, json.dumps(draft_body).encode())
    )
    if status != 201:
        raise RuntimeError(f"creating the draft answered {status}: {made[:300]!r}")
    draft_id = str(json.loads(made)["id"])
    now = dt.datetime.now(dt.UTC)
    period_body = {
        "starts_at": (now - dt.timedelta(seconds=1)).isoformat(),
        "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
        "eligibility": {"min_age": 14},
    }
    status, made = await call(
        app,
        Request(
            "POST", f"/api/v1/drafts/{draft_id}/periods", official, json.dumps(period_body).encode()
        ),
    )
    if status != 201:
        raise RuntimeError(f"creating the period answered {status}: {made[:300]!r}")
    period_id = str(json.loads(made)["id"])
    await call(app, Request("POST", f"/api/v1/periods/{period_id}/announce", official))
    while True:
        _, read = await call(app, Request("GET", f"/api/v1/periods/{period_id}", {}))
        if json.loads(read)["status"] == "open":
            return draft_id, period_id
        await asyncio.sleep(0.1)


async def _open_poll(app: Any, token: Callable[..., str]) -> str:
    await registry.upsert_organisation(
        _ORGANISATION, "Kazan", [_TERRITORY], ["https://kazan.example"]
    )
    grant = OrganisationGrant(
        org=_ORGANISATION,
        role="official",
        territory=(_TERRITORY[:5],),
        permissions=("polls:manage",),
    )
    official = {
        "authorization": "Bearer " + token((grant,)),
        "content-type": "application/json",
    }
    now = dt.datetime.now(dt.UTC)
    body = {
        "organisation": _ORGANISATION,
        "title": "Bench",
        "kind": "survey",
        "questions": QUESTIONS,
        "opens_at": now.isoformat(),
        "closes_at": (now + dt.timedelta(hours=1)).isoformat(),
    }
    status, made = await call(
        app, Request("POST", "/api/v1/polls", official, json.dumps(body).encode())
    )
    if status != 201:
        raise RuntimeError(f"creating the poll answered {status}: {made[:300]!r}")
    poll_id = str(json.loads(made)["id"])
    await call(app, Request("POST", f"/api/v1/polls/{poll_id}/schedule", official))
    while True:
        _, read = await call(app, Request("GET", f"/api/v1/polls/{poll_id}", official))
        if json.loads(read)["status"] == "open":
            return poll_id
        await asyncio.sleep(0.1)


async def _measure(count: int, concurrency: int, token: Callable[..., str]) -> list[Measured]:
    # Tokens are minted before a row is timed: minting is the identity provider's work.
    def bearer(path: str, n: int, body: bytes = ANSWERS) -> Iterator[Request]:
        return iter(
            [
                Request(
                    "POST",
                    path,
                    {"authorization": "Bearer " + token(), "content-type": "application/json"},
                    body,
                )
                for _ in range(n + _WARM_UP * concurrency)
            ]
        )

    def page(path: str, n: int) -> Iterator[Request]:
        return iter(
            [
                Request("GET", path, {"cookie": "vmeste_session=" + token()})
                for _ in range(n + _WARM_UP * concurrency)
            ]
        )

    rows: list[Measured] = []
    bare = bare_app()
    async with bare.lifespan():
        plain = Request("POST", "/bare", {"content-type": "application/json"}, ANSWERS)
        rows.append(await _run(bare, "bare POST", repeat(plain), count, concurrency))
    stack: Litestar = stack_app()
    async with stack.lifespan():
        rows.append(
            await _run(stack, "service stack no-op", bearer(NOOP_PATH, count), count, concurrency)
        )
    polls: Litestar = create_app()
    async with polls.lifespan():
        poll_id = await _open_poll(polls, token)
        rows.append(
            await _run(
                polls, "cast", bearer(f"/api/v1/polls/{poll_id}/ballots", count), count, concurrency
            )
        )
        for name, path in (
            ("poll page", f"/polls/{poll_id}"),
            ("check page", f"/polls/{poll_id}/check"),
            ("widget page", f"/embed/polls/{poll_id}"),
        ):
            rows.append(await _run(polls, name, page(path, count // 2), count // 2, concurrency))
    discussions: Litestar = create_discussions_app()
    async with discussions.lifespan():
        draft_id, period_id = await _open_period(discussions, token)
        rows.append(
            await _run(
                discussions,
                "comment",
                bearer(f"/api/v1/periods/{period_id}/comments", count // 4, _COMMENT),
                count // 4,
                concurrency,
            )
        )
        for name, path in (
            ("discussion page", f"/discussions/{period_id}"),
            ("draft widget page", f"/embed/drafts/{draft_id}"),
        ):
            rows.append(
                await _run(discussions, name, page(path, count // 4), count // 4, concurrency)
            )
    return rows


def measure(
    *,
    database_url: Callable[[str], str],
    folder: Path,
    count: int,
    concurrency: int,
    redis_url: str,
) -> list[Measured]:
    """Migrate, point the settings at these databases, and measure every row."""
    for component in ("polls", "identity", "discussions"):
        migrate(component, database_url(component))
    keys_dir = folder / "keys"
    os.environ.update(
        {
            "VMESTE_ENV": "dev",
            "VMESTE_DATA_DIR": str(folder / "data"),
            "VMESTE_KEYS_DIR": str(keys_dir),
            "VMESTE_REDIS_URL": redis_url,
            "VMESTE_POLLS_DATABASE_URL": database_url("polls"),
            "VMESTE_IDENTITY_DATABASE_URL": database_url("identity"),
            "VMESTE_DISCUSSIONS_DATABASE_URL": database_url("discussions"),
            "VMESTE_RATE_LIMITS": "on",
        }
    )
    token = _minter(keys_dir)
    try:
        import uvloop

        return uvloop.run(_measure(count, concurrency, token))
    except ImportError:  # pragma: no cover - uvloop is a dependency
        return asyncio.run(_measure(count, concurrency, token))


def report(rows: Sequence[Measured]) -> None:
    print("CPU per request in this process (no server, no load generator, fresh sessions):")
    for row in rows:
        print(
            f"  {row.name:<24} {row.cpu_us:8.0f} µs CPU  {row.wall_us:8.0f} µs wall"
            f"  ({row.requests} requests)"
        )
    by_name = {row.name: row.cpu_us for row in rows}
    if {"bare POST", "service stack no-op", "cast"} <= by_name.keys():
        layers = by_name["service stack no-op"] - by_name["bare POST"]
        casting = by_name["cast"] - by_name["service stack no-op"]
        print(
            f"  the service's layers (stack - bare) {layers:.0f} µs; "
            f"casting itself (cast - stack) {casting:.0f} µs"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=6000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--sqlite", action="store_true", help="the embedded default")
    args = parser.parse_args(argv)
    folder = Path(tempfile.mkdtemp(prefix="vmeste-inprocess-"))
    redis = start_redis(folder / "redis")
    postgres = None if args.sqlite else start_postgres()
    try:
        if postgres is None:
            (folder / "data").mkdir()

            def url(component: str) -> str:
                return f"sqlite:///{folder / 'data' / component}.sqlite"
        else:
            server = postgres
            for component in ("polls", "identity", "discussions"):
                server.sql(f"CREATE DATABASE bench_{component}")

            def url(component: str) -> str:
                return server.url(f"bench_{component}")

        rows = measure(
            database_url=url,
            folder=folder,
            count=args.requests,
            concurrency=args.concurrency,
            redis_url=redis.url,
        )
        print(f"database: {'SQLite' if postgres is None else 'PostgreSQL'}")
        report(rows)
    finally:
        redis.stop()
        if postgres is not None:
            postgres.destroy()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
