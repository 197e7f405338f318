"""add-checkpoint answers every case of C2SP tlog-witness with the status the standard fixes,
cosigns in the C2SP cosignature/v1 format, and a refusal changes nothing."""

from __future__ import annotations

import base64
import time

import httpx
import pytest

from shared.log.checkpoint import Checkpoint, sign_checkpoint
from shared.log.cosignature import WitnessKey, note_parts, verified_cosignatures
from shared.log.merkle import EMPTY_ROOT
from shared.log.note import Signer, open_note
from tests.harness.asgi import app_client
from tests.integration.witness._support import (
    PREFIX,
    TestLog,
    WitnessFactory,
    add_checkpoint_body,
    check_cosignature,
)

SIZE_TYPE = "text/x.tlog.size"


async def _post(client: httpx.AsyncClient, body: bytes) -> httpx.Response:
    return await client.post("/add-checkpoint", content=body)


async def _key(client: httpx.AsyncClient) -> str:
    response = await client.get("/key")
    assert response.status_code == 200
    return response.text.strip()


async def _latest(client: httpx.AsyncClient, origin: str) -> str | None:
    response = await client.get(f"/checkpoints/{origin}")
    if response.status_code == 404:
        assert response.headers["content-type"] == "application/problem+json"
        return None
    assert response.status_code == 200
    return response.text


async def test_a_first_checkpoint_is_cosigned_in_the_c2sp_format(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        before = int(time.time())
        note = log.checkpoint(5)
        response = await _post(client, add_checkpoint_body(0, [], note))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        line = response.text
        assert line.startswith("— witness.test/w1 ")
        assert line.count("\n") == 1
        vkey = await _key(client)
        body, _ = note_parts(note)
        # Computed from the standard here, not by the code under test.
        timestamp = check_cosignature(line, body, vkey)
        assert before <= timestamp <= int(time.time())
        # And through the project's verifier, on the note the client assembles.
        cosigned = note + line
        [found] = verified_cosignatures(cosigned, [WitnessKey.parse(vkey)])
        assert found.timestamp == timestamp
        assert open_note(cosigned, [log.signer.verifier]).text == body
        # Monitors read back the log's checkpoint with the witness's line.
        latest = await _latest(client, log.origin)
        assert latest == note + line
        by_query = await client.get("/checkpoint", params={"origin": log.origin})
        assert by_query.text == latest


async def test_a_chain_of_checkpoints_with_real_consistency_proofs(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        vkey = await _key(client)
        sizes = [0, 1, 2, 3, 4, 5, 8, 13, 16, 17, 31, 32, 33, 50]
        old = 0
        for size in sizes:
            request = log.body(old, size)
            response = await _post(client, request)
            assert response.status_code == 200, f"{old} → {size}: {response.text}"
            check_cosignature(
                response.text, Checkpoint(log.origin, size, log.root(size)).body(), vkey
            )
            old = size
        assert log.root(0) == EMPTY_ROOT
        latest = await _latest(client, log.origin)
        assert latest is not None
        assert latest.startswith(f"{log.origin}\n50\n")
        listing = (await client.get("/checkpoints")).json()
        assert [(i["origin"], i["size"]) for i in listing["items"]] == [(log.origin, 50)]


async def test_the_same_checkpoint_again_is_cosigned_afresh_and_changes_nothing(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        assert (await _post(client, log.body(0, 7))).status_code == 200
        stored = await _latest(client, log.origin)
        again = await _post(client, log.body(7, 7))
        assert again.status_code == 200
        check_cosignature(again.text, note_parts(log.checkpoint(7))[0], await _key(client))
        assert await _latest(client, log.origin) == stored


async def test_two_logs_are_kept_apart(make_witness: WitnessFactory, log_signer: Signer) -> None:
    async with app_client(make_witness()) as client:
        first, second = TestLog(PREFIX + "a", log_signer), TestLog(PREFIX + "b", log_signer)
        assert (await _post(client, first.body(0, 4))).status_code == 200
        assert (await _post(client, second.body(0, 9))).status_code == 200
        assert (await _post(client, first.body(4, 6))).status_code == 200
        stale = await _post(client, second.body(4, 10))
        assert (stale.status_code, stale.text) == (409, "9\n")


# --- refusals ---------------------------------------------------------------------------


async def _refused(
    client: httpx.AsyncClient, body: bytes, status: int, origin: str, *, text: str | None = None
) -> httpx.Response:
    before = await _latest(client, origin)
    response = await _post(client, body)
    assert response.status_code == status, response.text
    if status == 409 and text is not None:
        assert response.headers["content-type"] == SIZE_TYPE
        assert response.text == text
    else:
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text.endswith("\n")
        assert len(response.text) > 1
    assert await _latest(client, origin) == before, "a refusal changed the witness's state"
    return response


async def test_an_unknown_origin_is_404(make_witness: WitnessFactory, log_signer: Signer) -> None:
    async with app_client(make_witness()) as client:
        other = TestLog("elsewhere.example/polls/p1", log_signer)
        await _refused(client, other.body(0, 3), 404, other.origin)
        # A prefix is a prefix of the origin, not of anything that merely contains it.
        inside = TestLog("x/" + PREFIX + "p1", log_signer)
        await _refused(client, inside.body(0, 3), 404, inside.origin)


async def test_a_checkpoint_without_a_trusted_signature_is_403(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        assert (await _post(client, log.body(0, 3))).status_code == 200
        same_name = Signer.generate(log.signer.name)
        await _refused(
            client,
            add_checkpoint_body(3, log.proof(3, 5), log.checkpoint(5, same_name)),
            403,
            log.origin,
        )
        stranger = Signer.generate("someone-else")
        await _refused(
            client,
            add_checkpoint_body(3, log.proof(3, 5), log.checkpoint(5, stranger)),
            403,
            log.origin,
        )
        # A valid log signature on another body: the body was altered after signing.
        note = log.checkpoint(5)
        body, sigs = note_parts(note)
        forged_root = base64.b64encode(bytes(32)).decode()
        altered = body.replace(base64.b64encode(log.root(5)).decode(), forged_root) + "\n" + sigs[0]
        await _refused(client, add_checkpoint_body(3, log.proof(3, 5), altered), 403, log.origin)


async def test_an_old_size_beyond_the_checkpoint_is_400(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        assert (await _post(client, log.body(0, 3))).status_code == 200
        await _refused(client, add_checkpoint_body(4, [], log.checkpoint(3)), 400, log.origin)


_HASH = base64.b64encode(bytes(32)).decode()


@pytest.mark.parametrize(
    "template",
    [
        pytest.param("", id="empty body"),
        pytest.param("old 0\n", id="no empty line"),
        pytest.param("old 0\n{checkpoint}", id="checkpoint without the empty line"),
        pytest.param("old 01\n\n{checkpoint}", id="leading zero"),
        pytest.param("old -1\n\n{checkpoint}", id="negative"),
        pytest.param("old 3 \n\n{checkpoint}", id="trailing space"),
        pytest.param("Old 0\n\n{checkpoint}", id="capital"),
        pytest.param("old\n\n{checkpoint}", id="no size"),
        pytest.param("old 18446744073709551616\n\n{checkpoint}", id="beyond 2^64-1"),
        pytest.param("old 3\nnot-base64!\n\n{checkpoint}", id="proof line not base64"),
        pytest.param(
            "old 3\n" + base64.b64encode(bytes(31)).decode() + "\n\n{checkpoint}",
            id="31-byte hash",
        ),
        pytest.param("old 3\n" + f"{_HASH}\n" * 64 + "\n{checkpoint}", id="64 proof lines"),
        pytest.param("old 0\n\n", id="nothing after the empty line"),
        pytest.param("old 0\n\n\n", id="only an empty line after it"),
        pytest.param("old 0\n\nvmeste.test/polls/p1\n", id="checkpoint without signatures"),
        pytest.param(
            "old 0\n\nvmeste.test/polls/p1\n3\nnot a root\n\n— x AAAA\n", id="bad root line"
        ),
    ],
)
async def test_a_malformed_body_is_400(
    make_witness: WitnessFactory, log: TestLog, template: str
) -> None:
    async with app_client(make_witness()) as client:
        assert (await _post(client, log.body(0, 3))).status_code == 200
        body = template.replace("{checkpoint}", log.checkpoint(3)).encode()
        await _refused(client, body, 400, log.origin)


async def test_a_body_that_is_not_utf8_or_too_large_is_refused(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        await _refused(client, b"old 0\n\n\xff\xfe\n", 400, log.origin)
        huge = await _post(client, b"old 0\n" + b"A" * 200_000)
        assert huge.status_code == 413


async def test_a_note_signed_by_the_log_but_with_a_bad_signature_line_is_400(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        note = log.checkpoint(3)
        broken = note[:-1] + " trailing words\n"
        await _refused(client, add_checkpoint_body(0, [], broken), 400, log.origin)


async def test_an_old_size_other_than_the_last_cosigned_is_409_with_that_size(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        # Never cosigned: the witness's size is 0.
        await _refused(client, log.body(2, 5), 409, log.origin, text="0\n")
        assert (await _post(client, log.body(0, 5))).status_code == 200
        # Stale: an old size below the cosigned one.
        await _refused(client, log.body(3, 8), 409, log.origin, text="5\n")
        # Future: an old size the witness never saw, with a valid proof from it.
        await _refused(client, log.body(6, 8), 409, log.origin, text="5\n")
        # Starting over from 0 is only for a log never cosigned.
        await _refused(
            client, add_checkpoint_body(0, [], log.checkpoint(8)), 409, log.origin, text="5\n"
        )
        # The 409 tells the client where to resume: it does, and is cosigned.
        assert (await _post(client, log.body(5, 8))).status_code == 200


async def test_a_consistency_proof_that_does_not_verify_is_422(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        assert (await _post(client, log.body(0, 5))).status_code == 200
        proof = log.proof(5, 11)
        note = log.checkpoint(11)
        altered = [*proof]
        altered[-1] = bytes(a ^ 1 if i == 0 else a for i, a in enumerate(altered[-1]))
        await _refused(client, add_checkpoint_body(5, altered, note), 422, log.origin)
        await _refused(client, add_checkpoint_body(5, proof[:-1], note), 422, log.origin)
        await _refused(client, add_checkpoint_body(5, [*proof, proof[0]], note), 422, log.origin)
        await _refused(client, add_checkpoint_body(5, [], note), 422, log.origin)
        await _refused(client, add_checkpoint_body(5, log.proof(4, 11), note), 422, log.origin)
        # The same tree again takes no proof at all.
        await _refused(
            client, add_checkpoint_body(5, proof[:1], log.checkpoint(5)), 422, log.origin
        )
        assert (await _post(client, add_checkpoint_body(5, proof, note))).status_code == 200


async def test_a_proof_from_size_zero_must_be_empty_and_an_empty_tree_has_the_empty_root(
    make_witness: WitnessFactory, log: TestLog, log_signer: Signer
) -> None:
    async with app_client(make_witness()) as client:
        await _refused(
            client, add_checkpoint_body(0, log.proof(2, 5), log.checkpoint(5)), 422, log.origin
        )
        empty = sign_checkpoint(Checkpoint(log.origin, 0, bytes(32)), log_signer)
        await _refused(client, add_checkpoint_body(0, [], empty), 422, log.origin)
        assert (await _post(client, log.body(0, 0))).status_code == 200
        assert (await _post(client, log.body(0, 4))).status_code == 200
