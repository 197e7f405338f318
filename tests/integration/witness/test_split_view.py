"""A log made to sign two different trees of one size: the witness cosigns the first only,
refuses the second with 409, keeps both signed checkpoints as evidence and serves them to
monitors, and the fork cannot be continued past the witness."""

from __future__ import annotations

import base64

import httpx

from shared.log.checkpoint import open_checkpoint
from shared.log.cosignature import WitnessKey, verified_cosignatures
from shared.log.note import open_note
from tests.harness.asgi import app_client
from tests.integration.witness._support import (
    TestLog,
    WitnessFactory,
    add_checkpoint_body,
    check_cosignature,
)


def _fork(log: TestLog, size: int, keep: int) -> TestLog:
    """The same log (origin and key) with the same first ``keep`` entries, then others."""
    fork = TestLog(log.origin, log.signer, list(log.leaves[:keep]))
    fork.grow(size, tag="forked ")
    return fork


async def _evidence(client: httpx.AsyncClient) -> list[dict[str, object]]:
    response = await client.get("/equivocations")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    items: list[dict[str, object]] = response.json()["items"]
    return items


async def test_the_second_tree_of_one_size_is_refused_and_the_evidence_kept(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        assert (await client.post("/add-checkpoint", content=log.body(0, 4))).status_code == 200
        assert (await client.post("/add-checkpoint", content=log.body(4, 10))).status_code == 200
        shown = await client.get(f"/checkpoints/{log.origin}")
        fork = _fork(log, 10, keep=4)
        assert fork.root(10) != log.root(10)
        # The log signs the fork at the size the witness cosigned, and sends it "correctly".
        split = await client.post("/add-checkpoint", content=fork.body(10, 10))
        assert split.status_code == 409
        assert split.headers["content-type"] == "text/plain; charset=utf-8"
        assert "split view" in split.text
        # Sent again, and from the fork point with a proof that is valid for the fork.
        again = await client.post("/add-checkpoint", content=fork.body(4, 10))
        assert (again.status_code, again.headers["content-type"], again.text) == (
            409,
            "text/x.tlog.size",
            "10\n",
        )
        # The witness still shows the tree it cosigned.
        assert (await client.get(f"/checkpoints/{log.origin}")).text == shown.text

        [evidence] = await _evidence(client)  # once, however often the fork is sent
        assert evidence["origin"] == log.origin
        assert evidence["size"] == 10
        assert evidence["cosigned_root"] == base64.b64encode(log.root(10)).decode()
        assert evidence["offered_root"] == base64.b64encode(fork.root(10)).decode()
        # Both checkpoints carry the log's valid signature: anyone can check the evidence.
        cosigned, _ = open_checkpoint(str(evidence["cosigned"]), [log.signer.verifier])
        offered, _ = open_checkpoint(str(evidence["offered"]), [log.signer.verifier])
        assert (cosigned.size, cosigned.root) == (10, log.root(10))
        assert (offered.size, offered.root) == (10, fork.root(10))
        by_origin = await client.get("/equivocations", params={"origin": log.origin})
        assert len(by_origin.json()["items"]) == 1
        other = await client.get("/equivocations", params={"origin": "vmeste.test/polls/p2"})
        assert other.json()["items"] == []


async def test_a_forked_log_cannot_be_continued_past_the_witness(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        vkey = (await client.get("/key")).text.strip()
        assert (await client.post("/add-checkpoint", content=log.body(0, 6))).status_code == 200
        fork = _fork(log, 20, keep=3)
        # From the witness's size, the fork has no valid consistency proof: whatever it sends
        # (here the fork's own proof from 6) does not lead back to the tree cosigned at 6.
        response = await client.post("/add-checkpoint", content=fork.body(6, 20))
        assert response.status_code == 422
        # The honest log goes on, and the witness cosigns it.
        honest = await client.post("/add-checkpoint", content=log.body(6, 20))
        assert honest.status_code == 200
        note = log.checkpoint(20)
        body = open_note(note, [log.signer.verifier]).text
        check_cosignature(honest.text, body, vkey)
        # The fork's checkpoint of the same size never gets this witness's cosignature.
        refused = await client.post("/add-checkpoint", content=fork.body(20, 20))
        assert refused.status_code == 409
        cosigned = (await client.get(f"/checkpoints/{log.origin}")).text
        assert verified_cosignatures(cosigned, [WitnessKey.parse(vkey)])
        assert open_note(cosigned, [log.signer.verifier]).text == body
        assert len(await _evidence(client)) == 1


async def test_a_split_view_offered_with_a_stale_old_size_is_still_kept(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        assert (await client.post("/add-checkpoint", content=log.body(0, 8))).status_code == 200
        fork = _fork(log, 8, keep=2)
        response = await client.post(
            "/add-checkpoint", content=add_checkpoint_body(0, [], fork.checkpoint(8))
        )
        assert (response.status_code, response.text) == (409, "8\n")
        [evidence] = await _evidence(client)
        assert evidence["offered_root"] == base64.b64encode(fork.root(8)).decode()
