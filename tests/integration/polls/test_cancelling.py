"""Cancelling a poll: an open poll's accepted ballots are published under a final checkpoint
with the reason, and the board of the cancelled poll audits clean; a poll that never opened
is cancelled without any log."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
from pathlib import Path

import httpx
import msgspec
from litestar import Litestar
from typer.testing import CliRunner

from cli.main import app as cli
from shared.log.audit import audit_board, check_receipt
from shared.log.board import BoardCheckpoint, BoardEntries, BoardHeader, read_board
from shared.log.merkle import leaf_hash
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._forms import PAGE, send_form
from tests.integration.polls._support import (
    GOOD_ANSWERS,
    cast,
    create,
    open_poll,
    survey_body,
)

_VOTERS = 13
"""Fewer than twice the anonymity batch: every ballot still waits in the pool at the cancel."""


def _records(board: bytes) -> list[object]:
    return [record for _, record in read_board(io.BytesIO(board))]


async def test_an_open_poll_cancelled_publishes_every_receipted_ballot_under_a_final_checkpoint(
    app: Litestar, people: People, tmp_path: Path
) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await open_poll(client, official, survey_body(anonymity_batch=10))
        receipts: list[dict[str, str]] = []
        for _ in range(_VOTERS):
            response = await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)
            assert response.status_code == 201, response.text
            receipts.append(response.json())
        waiting = await client.get(f"/api/v1/logs/{poll_id}/board")
        assert waiting.status_code == 409  # nothing published while the poll is open

        cancelled = await client.post(
            f"/api/v1/polls/{poll_id}/cancel",
            json={"reason": "The park is being rebuilt"},
            headers=official,
        )
        assert cancelled.status_code == 200, cancelled.text
        assert cancelled.json()["status"] == "cancelled"

        # The final checkpoint covers every accepted ballot.
        checkpoint = await client.get(f"/api/v1/logs/{poll_id}/checkpoint")
        assert checkpoint.status_code == 200
        assert checkpoint.text.splitlines()[1] == str(_VOTERS)

        # A cancelled poll takes no more ballots.
        late = await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)
        assert late.status_code == 409

        response = await client.get(f"/api/v1/logs/{poll_id}/board")
        assert response.status_code == 200
        board = response.content
        keys = (await client.get("/api/v1/keys")).json()["keys"]

    records = _records(board)
    header = records[0]
    assert isinstance(header, BoardHeader)
    assert header.cancellation is not None
    assert header.cancellation.reason == "The park is being rebuilt"
    assert header.cancellation.size == _VOTERS == header.size
    assert any(isinstance(r, BoardCheckpoint) for r in records)
    entries = [e for r in records if isinstance(r, BoardEntries) for e in r.entries]
    on_board = [leaf_hash(e).hex() for e in entries]
    # Every receipt's ballot is on the final board, exactly once.
    for receipt in receipts:
        assert on_board.count(receipt["entry_hash"]) == 1
        proof = check_receipt(receipt["receipt"], io.BytesIO(board), trusted_keys=keys)
        assert proof.ok, proof.findings
        assert proof.checkpoint_size == _VOTERS

    report = audit_board(io.BytesIO(board), trusted_keys=keys)
    assert report.ok, report.errors
    assert report.entries == _VOTERS
    assert report.certificate is None
    assert report.cancellation == header.cancellation

    board_file = tmp_path / "board.jsonl"
    board_file.write_bytes(board)
    keys_file = tmp_path / "keys.json"
    keys_file.write_text(json.dumps({"keys": keys}))
    verified = CliRunner().invoke(
        cli, ["audit", "verify", str(board_file), "--keys", str(keys_file)]
    )
    assert verified.exit_code == 0, verified.output
    assert "cancelled" in verified.output
    assert "sealed at 13 entries" in " ".join(verified.output.split())


async def test_a_board_whose_cancellation_overstates_its_size_fails_the_audit(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await open_poll(client, official, survey_body(anonymity_batch=10))
        for _ in range(3):
            assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
        await client.post(
            f"/api/v1/polls/{poll_id}/cancel", json={"reason": "Mistake"}, headers=official
        )
        board = (await client.get(f"/api/v1/logs/{poll_id}/board")).content
        keys = (await client.get("/api/v1/keys")).json()["keys"]
    lines = board.splitlines(keepends=True)
    header = msgspec.json.decode(lines[0])
    header["cancellation"]["size"] = 4
    forged = msgspec.json.encode(header) + b"\n" + b"".join(lines[1:])
    report = audit_board(io.BytesIO(forged), trusted_keys=keys)
    assert {f.code for f in report.errors} == {"cancellation-size"}


async def test_draft_and_scheduled_polls_are_cancelled_without_a_log(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        draft = await create(client, official, survey_body())
        scheduled = await create(client, official, survey_body(opens_in=3600, closes_in=7200))
        assert (
            await client.post(f"/api/v1/polls/{scheduled}/schedule", headers=official)
        ).status_code == 200
        for poll_id in (draft, scheduled):
            response = await client.post(
                f"/api/v1/polls/{poll_id}/cancel", json={"reason": "Not needed"}, headers=official
            )
            assert response.status_code == 200, response.text
            assert response.json()["status"] == "cancelled"
            assert response.json()["cancel_reason"] == "Not needed"
            assert (await client.get(f"/api/v1/logs/{poll_id}/checkpoint")).status_code == 404
        logs = app.state["polls"].logs
        assert await logs.store.closed(draft) is None
        assert await logs.store.closed(scheduled) is None


async def test_the_manage_page_cancels_an_open_poll_only_with_a_reason_and_shows_the_final_size(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await open_poll(client, official, survey_body(anonymity_batch=10))
        for _ in range(2):
            assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
        url = f"/manage/polls/{poll_id}/cancel"

        refused = await send_form(client, url, official, reason="   ")
        assert refused.status_code == 422
        assert "Укажите причину отмены" in refused.text
        assert (await send_form(client, url, official, reason="no")).status_code == 422
        poll = (await client.get(f"/api/v1/polls/{poll_id}", headers=official)).json()
        assert poll["status"] == "open"

        done = await send_form(client, url, official, reason="The  park is\nbeing rebuilt")
        assert done.status_code == 303
        poll = (await client.get(f"/api/v1/polls/{poll_id}", headers=official)).json()
        assert poll["status"] == "cancelled"
        assert poll["cancel_reason"] == "The park is being rebuilt"

        for who, path in (
            (official, f"/manage/polls/{poll_id}"),
            (people.citizen(), f"/polls/{poll_id}"),
        ):
            shown = await client.get(path, headers={**who, **PAGE})
            assert shown.status_code == 200
            assert 'data-final-size="2"' in shown.text
            assert "The park is being rebuilt" in shown.text
        board = (await client.get(f"/api/v1/logs/{poll_id}/board")).content
    header = _records(board)[0]
    assert isinstance(header, BoardHeader)
    assert header.cancellation is not None
    assert (header.cancellation.reason, header.cancellation.size) == (
        "The park is being rebuilt",
        2,
    )


async def test_a_seal_the_cancelling_request_left_unfinished_is_finished_by_the_scheduler(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await open_poll(client, official, survey_body(anonymity_batch=10))
        for _ in range(4):
            assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
        scheduler = app.state["scheduler"]
        logs = app.state["polls"].logs
        # The request changed the status and died before it sealed the log.
        assert await scheduler.polls.transition(
            poll_id, ["open"], "cancelled", cancel_reason="Died midway"
        )
        pending = await client.get(f"/api/v1/logs/{poll_id}/board")
        assert pending.status_code == 409
        assert pending.json()["type"].endswith("poll-being-sealed")
        await scheduler.run_once(dt.datetime.now(dt.UTC))
        assert await logs.store.closed(poll_id) is False  # the request may still finish it
        await scheduler.run_once(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2))
        assert await logs.store.closed(poll_id) is True
        latest = await logs.store.latest_checkpoint(poll_id)
        assert latest is not None
        assert latest[0] == 4
        board = (await client.get(f"/api/v1/logs/{poll_id}/board")).content
        keys = (await client.get("/api/v1/keys")).json()["keys"]
    report = audit_board(io.BytesIO(board), trusted_keys=keys)
    assert report.ok, report.errors
    assert report.cancellation is not None
    assert (report.cancellation.reason, report.cancellation.size) == ("Died midway", 4)


async def test_ballots_cast_while_the_poll_is_cancelled_are_on_the_board_iff_receipted(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await open_poll(client, official, survey_body(anonymity_batch=10))
        voters = [people.citizen() for _ in range(40)]

        async def vote(voter: dict[str, str], after_s: float) -> httpx.Response:
            await asyncio.sleep(after_s)
            return await cast(client, voter, poll_id, GOOD_ANSWERS)

        async def cancel_midway() -> httpx.Response:
            await asyncio.sleep(0.2)
            return await client.post(
                f"/api/v1/polls/{poll_id}/cancel", json={"reason": "Raced"}, headers=official
            )

        *casts, cancelled = await asyncio.gather(
            *(vote(v, i * 0.01) for i, v in enumerate(voters)), cancel_midway()
        )
        assert cancelled.status_code == 200, cancelled.text
        receipted = [r.json()["entry_hash"] for r in casts if r.status_code == 201]
        assert receipted
        assert all(r.status_code in (201, 409) for r in casts)  # 409: cancelled meanwhile
        board = (await client.get(f"/api/v1/logs/{poll_id}/board")).content
    entries = [e for r in _records(board) if isinstance(r, BoardEntries) for e in r.entries]
    # Every receipted ballot is on the board once, and nothing else is.
    assert sorted(leaf_hash(e).hex() for e in entries) == sorted(receipted)
