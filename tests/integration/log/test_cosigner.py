"""The log's side of witnessing: checkpoints go to a real witness app, cosignatures come back
verified; a witness that knows another size gets a proof from it; one that is down is waited
for, never fatal."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from services.polls.tables import LEASE
from services.witness.cosigning.domain import FollowedLog
from shared.config import WitnessEndpoint, WitnessingSettings
from shared.lease import Lease
from shared.log.cosignature import WitnessKey, verified_cosignatures
from shared.log.note import Verifier
from shared.log.service import LogService, QuorumPendingError, load_log_keys
from shared.log.store import LogStore
from shared.log.witnessing import Cosigner, Witness
from tests.conftest import DatabaseFactory
from tests.harness.asgi import app_client
from tests.integration.witness._support import witness_app

NOW = dt.datetime(2026, 6, 1, 9, 30, tzinfo=dt.UTC)
LOG = "p1"


async def _grow(logs: LogService, n: int) -> int:
    async with logs.store.transaction():
        for _ in range(n):
            await logs.append(LOG, os.urandom(40), NOW)
    await logs.integrate_now(LOG)
    return (await logs.store.head(LOG)).size


def _witnessed(
    store: LogStore, tmp_path: Path, database_url: DatabaseFactory
) -> tuple[LogService, Litestar]:
    keys = load_log_keys(tmp_path / "log", "polls")
    witness = witness_app(
        database_url("witness"),
        tmp_path / "witness",
        [FollowedLog("vmeste.test/polls/", tuple(Verifier.parse(k) for k in keys.verifier_keys()))],
    )
    return LogService(store, keys, "vmeste.test/polls", LEASE), witness


async def test_a_witness_that_knows_a_later_size_gets_a_proof_from_that_size(
    store: LogStore, tmp_path: Path, database_url: DatabaseFactory
) -> None:
    logs, witness = _witnessed(store, tmp_path, database_url)
    async with app_client(witness) as client:
        key = WitnessKey.parse((await client.get("/key")).text.strip())
        cosigner = Cosigner(
            store,
            [Witness("http://witness.test", key)],
            Lease(LEASE, "ledger-cosigner"),
            transport=httpx.ASGITransport(app=witness),  # type: ignore[arg-type]
        )
        assert await _grow(logs, 5) == 5
        assert await cosigner.run_once() == 1
        # The log forgets that answer (a lost response, a restored backup): it believes the
        # witness never cosigned, while the witness is at size 5.
        await store.t.cosignature.raw("DELETE FROM log_cosignature")
        assert await _grow(logs, 3) == 8
        assert await cosigner.run_once() == 1
        note = await logs.cosigned(LOG, 8, (await store.latest_checkpoint(LOG))[1])  # type: ignore[index]
    assert len(verified_cosignatures(note, [key])) == 1
    assert await cosigner.run_once() == 0  # nothing new to cosign


async def test_a_witness_that_is_down_delays_cosigning_and_certifying_but_nothing_else(
    store: LogStore, tmp_path: Path, database_url: DatabaseFactory
) -> None:
    logs, witness = _witnessed(store, tmp_path, database_url)
    async with app_client(witness) as client:
        key = str((await client.get("/key")).text.strip())
    down = LogService(
        store,
        logs.keys,
        "vmeste.test/polls",
        LEASE,
        witnessing=WitnessingSettings(
            witnesses=(WitnessEndpoint("http://127.0.0.1:9", key),), quorum=1
        ),
    )
    assert await _grow(down, 4) == 4  # entries integrate and checkpoint as usual
    assert await down.cosigner.run_once() == 0
    with pytest.raises(QuorumPendingError, match="0 of the 1"):
        await down.certify(LOG, b"{}", NOW, definition=b"{}", turnout=4, quorum_wait_s=0.5)


async def test_an_empty_logs_final_checkpoint_is_cosigned_so_its_certificate_is_issued(
    store: LogStore, tmp_path: Path, database_url: DatabaseFactory
) -> None:
    logs, witness = _witnessed(store, tmp_path, database_url)
    async with app_client(witness) as client:
        key = WitnessKey.parse((await client.get("/key")).text.strip())
        logs.quorum = 1
        logs.cosigner = Cosigner(
            store,
            [Witness("http://witness.test", key)],
            Lease(LEASE, "ledger-cosigner"),
            transport=httpx.ASGITransport(app=witness),  # type: ignore[arg-type]
        )
        await store.open_log(LOG)  # a poll nobody voted in
        certificate = await logs.certify(
            LOG, b"{}", NOW, definition=b"{}", turnout=0, quorum_wait_s=5
        )
        note = await logs.cosigned(LOG, 0, (await store.latest_checkpoint(LOG))[1])  # type: ignore[index]
    assert note.split("\n")[1] == "0"
    assert len(verified_cosignatures(note, [key])) == 1
    assert certificate
