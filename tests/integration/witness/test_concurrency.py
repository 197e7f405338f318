"""Requests racing on one log never both succeed from the same old size and never roll the
witness back (the race C2SP tlog-witness warns about), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import httpx
from litestar import Litestar

from services.witness.cosigning.store import CosignedRecord, WitnessStore
from shared.log.note import Signer
from tests.harness.asgi import app_client
from tests.integration.witness._support import PREFIX, TestLog, WitnessFactory

ROUNDS = 25


async def _size(client: httpx.AsyncClient, origin: str) -> int:
    response = await client.get(f"/checkpoints/{origin}")
    assert response.status_code == 200
    return int(response.text.split("\n")[1])


async def test_two_requests_from_the_same_old_size_one_wins_the_other_gets_409(
    make_witness: WitnessFactory, log: TestLog, report_figures: Callable[[str], None]
) -> None:
    app = make_witness()
    store: WitnessStore = app.state["witness"].store
    advance = store.advance
    lost_writes = 0

    async def counted(seen: CosignedRecord, record: CosignedRecord) -> bool:
        nonlocal lost_writes
        stored = await advance(seen, record)
        lost_writes += not stored
        return stored

    store.advance = counted  # type: ignore[method-assign]
    async with app_client(app) as client:
        assert (await client.post("/add-checkpoint", content=log.body(0, 1))).status_code == 200
        size = 1
        outcomes: dict[str, int] = {"shorter won": 0, "longer won": 0}
        for n in range(ROUNDS):
            # Alternate which request is sent first, so both orders are raced.
            sizes = (size + 1, size + 2) if n % 2 else (size + 2, size + 1)
            responses = await asyncio.gather(
                *(client.post("/add-checkpoint", content=log.body(size, s)) for s in sizes)
            )
            statuses = sorted(r.status_code for r in responses)
            assert statuses == [200, 409], [(r.status_code, r.text) for r in responses]
            winner = next(s for s, r in zip(sizes, responses, strict=True) if r.status_code == 200)
            loser = next(r for r in responses if r.status_code == 409)
            assert loser.headers["content-type"] == "text/x.tlog.size"
            # Checked before or after the winner wrote, the loser is told the winner's size.
            assert loser.text == f"{winner}\n"
            stored = await _size(client, log.origin)
            assert stored == winner, "the witness rolled back or kept the wrong checkpoint"
            outcomes["shorter won" if winner == size + 1 else "longer won"] += 1
            size = stored
        report_figures(
            f"witness race, {ROUNDS} rounds: {outcomes}, "
            f"{lost_writes} losers passed every check and lost the compare-and-set"
        )


async def test_many_requests_racing_on_a_new_log_store_exactly_one(
    make_witness: WitnessFactory, log_signer: Signer
) -> None:
    async with app_client(make_witness()) as client:
        for n in range(5):
            fresh = TestLog(f"{PREFIX}race-{n}", log_signer)
            sizes = [3, 5, 8, 13, 21, 34]
            responses = await asyncio.gather(
                *(client.post("/add-checkpoint", content=fresh.body(0, s)) for s in sizes)
            )
            statuses = [r.status_code for r in responses]
            assert statuses.count(200) == 1, statuses
            assert statuses.count(409) == len(sizes) - 1, statuses
            winner = sizes[statuses.index(200)]
            assert await _size(client, fresh.origin) == winner
            assert {r.text for r in responses if r.status_code == 409} <= {"0\n", f"{winner}\n"}


def _held_reads(app: Litestar, readers: int) -> None:
    """Make the first ``readers`` state reads wait for each other, so that every racing
    request is checked against the same stored checkpoint before any of them writes."""
    store: WitnessStore = app.state["witness"].store
    read = store.latest
    arrived = 0
    everyone = asyncio.Event()

    async def latest(origin: str) -> CosignedRecord | None:
        nonlocal arrived
        record = await read(origin)
        if arrived < readers:
            arrived += 1
            if arrived == readers:
                everyone.set()
            await everyone.wait()
        return record

    store.latest = latest  # type: ignore[method-assign]


async def test_requests_checked_against_the_same_state_cannot_both_write(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    app = make_witness()
    async with app_client(app) as client:
        assert (await client.post("/add-checkpoint", content=log.body(0, 4))).status_code == 200
        _held_reads(app, readers=2)
        first, second = await asyncio.gather(
            client.post("/add-checkpoint", content=log.body(4, 9)),
            client.post("/add-checkpoint", content=log.body(4, 6)),
        )
        assert sorted((first.status_code, second.status_code)) == [200, 409]
        winner = 9 if first.status_code == 200 else 6
        loser = second if first.status_code == 200 else first
        # Both passed every check against size 4; the one that wrote second found the row
        # changed, was checked again against the new state, and got the standard's 409.
        assert (loser.headers["content-type"], loser.text) == ("text/x.tlog.size", f"{winner}\n")
        assert await _size(client, log.origin) == winner
