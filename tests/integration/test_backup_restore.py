"""Backup and restore, as deploy/README.md documents it: ``pg_dump -Fc`` of the polls and
identity databases mid-poll, ``pg_restore`` into a fresh PostgreSQL, the polls service started
on it with the same keys and an empty Redis. Every ballot receipted before the dump (still
pooled then) is back, everyone who voted before the dump is refused as already voted, new votes
land, and the final board verifies with every receipt on it once."""

from __future__ import annotations

import asyncio
import base64
import io
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from ops.keys import ensure_keys
from ops.localproc import (
    PostgresProcess,
    free_port,
    granian_command,
    start_postgres,
    start_redis,
    wait_listening,
)
from shared.db.migrate import migrate
from shared.log.audit import audit_board
from shared.log.merkle import leaf_hash
from shared.tally.results import recompute_from_board
from tests.harness.people import People
from tests.integration.polls._support import (
    GOOD_ANSWERS,
    cast,
    open_poll,
    survey_body,
    wait_status,
)

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

DATABASES = ("identity", "polls")
BEFORE, AFTER = 30, 20
CLOSES_IN_S = 45.0
"""Long enough for the dump, the restore and the later votes; then the poll closes by itself."""


class PollsService:
    """One granian process of the polls service on the given databases."""

    def __init__(self, folder: Path, server: PostgresProcess, redis_url: str) -> None:
        self.port = free_port()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")},
            "VMESTE_ENV": "dev",
            "VMESTE_DATA_DIR": str(folder),
            "VMESTE_REDIS_URL": redis_url,
            "VMESTE_RATE_LIMITS": "off",
            # The public name stays the same across the restore, as in production: it is part
            # of every log's origin, so signed checkpoints keep verifying.
            "VMESTE_POLLS_PUBLIC_URL": "https://polls.vmeste.test",
            **{f"VMESTE_{d.upper()}_DATABASE_URL": server.url(d) for d in DATABASES},
        }
        self.process = subprocess.Popen(
            granian_command("polls", "127.0.0.1", self.port),
            env=env,
            start_new_session=True,
        )
        wait_listening(self.port, self.process, "polls", 60)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, 9)
            self.process.wait(10)


def pg_tool(server: PostgresProcess, tool: str, *args: str) -> None:
    subprocess.run(
        [
            str(server.bin_dir / tool),
            "-h",
            "127.0.0.1",
            "-p",
            str(server.port),
            "-U",
            "postgres",
            *list(args),
        ],
        check=True,
    )


@pytest.fixture
def servers() -> Iterator[list[PostgresProcess]]:
    started: list[PostgresProcess] = []
    yield started
    for server in started:
        server.destroy()


async def _final_board(
    client: httpx.AsyncClient, poll_id: str, official: dict[str, str]
) -> tuple[bytes, list[str]]:
    """The board once the poll has closed and been tallied (an open poll publishes none)."""
    await wait_status(client, official, poll_id, "tallied", wait_s=CLOSES_IN_S + 60)
    board = await client.get(f"/api/v1/logs/{poll_id}/board", headers=official)
    assert board.status_code == 200, board.text
    keys = (await client.get("/api/v1/keys")).json()["keys"]
    return board.content, [str(k) for k in keys]


def _entry_hashes(board: bytes) -> list[str]:
    return [
        leaf_hash(base64.b64decode(e)).hex()
        for line in board.splitlines()
        if b'"type":"entries"' in line
        for e in msgspec.json.decode(line)["entries"]
    ]


async def test_dump_mid_poll_restore_into_a_fresh_server_and_vote_on(
    tmp_path: Path, servers: list[PostgresProcess]
) -> None:
    folder = tmp_path / "data"
    ensure_keys(folder / "keys")
    people = People(folder / "keys", ("polls:manage",))
    official = people.official()
    first = start_postgres()
    servers.append(first)
    for database in DATABASES:
        first.sql(f"CREATE DATABASE {database}")
        migrate(database, first.url(database))
    redis = start_redis(tmp_path / "redis-1")
    service = PollsService(folder, first, redis.url)
    voters = [people.citizen() for _ in range(BEFORE)]
    try:
        async with httpx.AsyncClient(base_url=service.url, timeout=15) as client:
            poll_id = await open_poll(client, official, survey_body(closes_in=CLOSES_IN_S))
            receipts = []
            codes = []
            for n, voter in enumerate(voters):
                answer = await cast(
                    client, voter, poll_id, GOOD_ANSWERS, **{"Idempotency-Key": f"before-{n}"}
                )
                assert answer.status_code == 201, answer.text
                receipts.append(str(answer.json()["entry_hash"]))
                codes.append(str(answer.json()["tracking_code"]))
            # The backup, taken while the poll is open and the service running.
            for database in DATABASES:
                pg_tool(first, "pg_dump", "-Fc", "-f", str(tmp_path / f"{database}.dump"), database)
    finally:
        service.stop()
        redis.stop()
    first.destroy()  # the old server is gone for good

    second = start_postgres()
    servers.append(second)
    for database in DATABASES:
        second.sql(f"CREATE DATABASE {database}")
        pg_tool(
            second,
            "pg_restore",
            "--no-owner",
            "--exit-on-error",
            "-d",
            database,
            str(tmp_path / f"{database}.dump"),
        )
    empty_redis = start_redis(tmp_path / "redis-2")
    restored = PollsService(folder, second, empty_redis.url)
    try:
        async with httpx.AsyncClient(base_url=restored.url, timeout=15) as client:
            # Every ballot receipted before the dump is back, waiting in the pool (30 < 2k).
            for code in codes:
                check = await client.get(f"/api/v1/logs/{poll_id}/tracking/{code}")
                assert check.status_code == 200, check.text
                assert check.json()["status"] in ("pooled", "included"), check.text

            # Redis is empty: only the restored UNIQUE constraint can refuse these.
            for n, voter in enumerate(voters):
                again = await cast(
                    client, voter, poll_id, GOOD_ANSWERS, **{"Idempotency-Key": f"again-{n}"}
                )
                assert again.status_code == 409, again.text
                assert again.json()["type"].endswith("already-voted")
            replay = await cast(
                client, voters[0], poll_id, GOOD_ANSWERS, **{"Idempotency-Key": "before-0"}
            )
            assert replay.status_code == 201
            assert replay.json()["entry_hash"] == receipts[0]

            fresh = []
            for n in range(AFTER):
                answer = await cast(
                    client,
                    people.citizen(),
                    poll_id,
                    GOOD_ANSWERS,
                    **{"Idempotency-Key": f"after-{n}"},
                )
                assert answer.status_code == 201, answer.text
                fresh.append(str(answer.json()["entry_hash"]))

            board, keys = await _final_board(client, poll_id, official)
            report = await asyncio.to_thread(
                audit_board, io.BytesIO(board), trusted_keys=keys, tally=recompute_from_board
            )
            hashes = _entry_hashes(board)
    finally:
        restored.stop()
        empty_redis.stop()
    print(
        f"\nbackup/restore: {BEFORE} receipts before the dump (pooled when it was taken), "
        f"{AFTER} after the restore; "
        f"board {len(hashes)} entries, {len(hashes) - len(set(hashes))} duplicates, "
        f"audit {'ok' if report.ok else report.errors}"
    )
    assert report.ok, report.errors
    assert len(hashes) == len(set(hashes)) == BEFORE + AFTER  # nobody twice, nobody lost
    assert set(receipts) | set(fresh) == set(hashes)
