"""Two real witnesses cosign a poll's checkpoints; the tally waits for both; a witness that is
down delays cosigning, never voting."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest
from litestar import Litestar

from ops.local_witness import LocalWitness, prepare_witness
from ops.localproc import free_port, wait_listening
from services.polls.app import create_app
from shared.config import Settings, WitnessEndpoint, WitnessingSettings
from shared.log.cosignature import WitnessKey, verified_cosignatures
from shared.log.service import load_log_keys
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.polls._support import GOOD_ANSWERS, cast, open_poll, survey_body

pytestmark = pytest.mark.slow


@pytest.fixture
def people(settings: Settings) -> People:
    # Not the package's fixture, which builds a second app on the same SQLite file.
    return People(settings.security.keys_dir, ("polls:manage",))


@pytest.fixture
def database_backend() -> str:
    return "sqlite"  # the witnesses' part is the same on both; casting is proven elsewhere


class Witnesses:
    def __init__(self, folder: Path, settings: Settings) -> None:
        load_log_keys(settings.security.keys_dir, "polls")  # the log key they follow
        self.local: list[LocalWitness] = [
            prepare_witness(
                folder / f"witness-{n}",
                f"witness-{n}.test",
                free_port(),
                settings.security.keys_dir,
                {"polls": settings.public_urls["polls"]},
                {},
            )
            for n in range(2)
        ]
        self.procs: list[subprocess.Popen[bytes] | None] = [None, None]

    def start(self, n: int) -> None:
        self.procs[n] = self.local[n].start()
        wait_listening(self.local[n].port, self.procs[n], self.local[n].name, 60)  # type: ignore[arg-type]

    def kill(self, n: int) -> None:
        proc = self.procs[n]
        assert proc is not None
        os.killpg(proc.pid, signal.SIGKILL)  # granian's master and its worker
        proc.wait(10)

    def stop(self) -> None:
        for proc in self.procs:
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(15)

    @property
    def keys(self) -> list[WitnessKey]:
        return [WitnessKey.parse(w.key) for w in self.local]


@pytest.fixture
def witnesses(tmp_path: Path, settings: Settings) -> Iterator[Witnesses]:
    running = Witnesses(tmp_path / "witnesses", settings)
    for n in range(2):
        running.start(n)
    yield running
    running.stop()


@pytest.fixture
def witnessed_app(settings: Settings, witnesses: Witnesses) -> Litestar:
    endpoints = tuple(WitnessEndpoint(w.url, w.key) for w in witnesses.local)
    return create_app(
        dataclasses.replace(settings, witnessing=WitnessingSettings(witnesses=endpoints, quorum=2))
    )


async def _status(client: httpx.AsyncClient, official: dict[str, str], poll_id: str) -> str:
    return str((await client.get(f"/api/v1/polls/{poll_id}", headers=official)).json()["status"])


async def test_a_poll_is_tallied_only_once_both_witnesses_cosigned_its_final_checkpoint(
    witnessed_app: Litestar, witnesses: Witnesses, people: People
) -> None:
    async with app_client(witnessed_app) as client:
        official = people.official()
        poll_id = await open_poll(client, official, survey_body(closes_in=6.0, anonymity_batch=10))
        for _ in range(25):  # 25 ballots: one mixed batch while open, the rest at close
            assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
        await asyncio.sleep(1.5)  # the first batch is checkpointed and cosigned by both
        witnesses.kill(1)
        # Voting goes on without the witness.
        for _ in range(3):
            assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
        for _ in range(80):
            if await _status(client, official, poll_id) == "closed":
                break
            await asyncio.sleep(0.1)
        await asyncio.sleep(3.0)
        # Closed, everything in the log, but one of two witnesses is missing: no tally yet.
        assert await _status(client, official, poll_id) == "closed"
        results = await client.get(f"/api/v1/polls/{poll_id}/results", headers=official)
        assert results.json().get("official") is not True
        witnesses.start(1)
        for _ in range(150):
            if await _status(client, official, poll_id) == "tallied":
                break
            await asyncio.sleep(0.1)
        assert await _status(client, official, poll_id) == "tallied"
        note = (await client.get(f"/api/v1/logs/{poll_id}/checkpoint")).text
        board = (await client.get(f"/api/v1/logs/{poll_id}/board", headers=official)).text
        keys = (await client.get("/api/v1/keys")).json()

    assert note.split("\n")[1] == "28"
    cosigned = verified_cosignatures(note, witnesses.keys)
    assert len(cosigned) == 2
    assert keys["witnesses"] == [w.key for w in witnesses.local]
    assert keys["quorum"] == 2
    final = [
        msgspec.json.decode(line)["note"]
        for line in board.splitlines()
        if '"type":"checkpoint"' in line
    ][-1]
    assert len(verified_cosignatures(final, witnesses.keys)) == 2
    # Each witness itself serves the latest checkpoint it cosigned, for monitors.
    for witness in witnesses.local:
        seen = httpx.get(f"{witness.url}/checkpoint", params={"origin": note.split("\n")[0]})  # noqa: ASYNC210
        assert seen.status_code == 200
        assert seen.text.split("\n")[1] == "28"
