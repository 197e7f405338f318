"""The witness as a service: state survives a restart, its key is stable, monitors read its
records, and it reports its health like every other service."""

from __future__ import annotations

from pathlib import Path

from services.witness.cosigning.domain import FollowedLog
from services.witness.keys import KEY_FILE
from shared.log.cosignature import WitnessKey, verified_cosignatures
from shared.log.note import Signer, open_note
from tests.harness.asgi import app_client
from tests.integration.witness._support import PREFIX, TestLog, WitnessFactory, witness_app


async def test_a_restarted_witness_keeps_its_state_and_key(
    make_witness: WitnessFactory, log: TestLog
) -> None:
    async with app_client(make_witness()) as client:
        assert (await client.post("/add-checkpoint", content=log.body(0, 7))).status_code == 200
        key = (await client.get("/key")).text
        shown = (await client.get(f"/checkpoints/{log.origin}")).text
    async with app_client(make_witness()) as client:
        assert (await client.get("/key")).text == key
        assert (await client.get(f"/checkpoints/{log.origin}")).text == shown
        # A log that forgot what it sent is told where the witness stands, not cosigned anew.
        again = await client.post("/add-checkpoint", content=log.body(0, 9))
        assert (again.status_code, again.text) == (409, "7\n")
        assert (await client.post("/add-checkpoint", content=log.body(7, 9))).status_code == 200
    async with app_client(make_witness()) as client:
        latest = (await client.get(f"/checkpoints/{log.origin}")).text
        assert latest.startswith(f"{log.origin}\n9\n")
        assert verified_cosignatures(latest, [WitnessKey.parse(key)])
        assert open_note(latest, [log.signer.verifier]).text.startswith(log.origin)


async def test_the_key_file_is_created_once_and_private(
    make_witness: WitnessFactory, tmp_path: Path
) -> None:
    make_witness()
    path = tmp_path / "keys" / KEY_FILE
    assert path.stat().st_mode & 0o077 == 0
    text = path.read_text()
    assert text.startswith("PRIVATE+KEY+witness.test/w1+")
    make_witness()
    assert path.read_text() == text


async def test_monitors_see_the_followed_logs_and_every_cosigned_log(
    witness_db: str, tmp_path: Path, log_signer: Signer
) -> None:
    discussions = Signer.generate("vmeste-discussions")
    logs = [
        FollowedLog(PREFIX, (log_signer.verifier,)),
        FollowedLog("vmeste.test/discussions/", (discussions.verifier,)),
    ]
    app = witness_app(witness_db, tmp_path / "keys", logs)
    async with app_client(app) as client:
        followed = (await client.get("/logs")).json()
        assert followed == [
            {"origin_prefix": PREFIX, "keys": [str(log_signer.verifier)]},
            {"origin_prefix": "vmeste.test/discussions/", "keys": [str(discussions.verifier)]},
        ]
        # Each log's own key: a polls key does not sign for the discussions prefix.
        period = TestLog("vmeste.test/discussions/d1", log_signer)
        assert (await client.post("/add-checkpoint", content=period.body(0, 2))).status_code == 403
        period = TestLog("vmeste.test/discussions/d1", discussions)
        assert (await client.post("/add-checkpoint", content=period.body(0, 2))).status_code == 200
        origins = [f"{PREFIX}p{n}" for n in range(5)]
        for n, origin in enumerate(origins):
            poll = TestLog(origin, log_signer)
            assert (
                await client.post("/add-checkpoint", content=poll.body(0, n + 1))
            ).status_code == 200
        first = (await client.get("/checkpoints", params={"limit": 4})).json()
        assert len(first["items"]) == 4
        rest = (await client.get("/checkpoints", params={"after": first["next"]})).json()
        assert rest["next"] is None
        seen = [i["origin"] for i in first["items"] + rest["items"]]
        assert sorted(seen) == sorted([*origins, "vmeste.test/discussions/d1"])
        # A percent-encoded origin names the same log.
        encoded = await client.get("/checkpoints/vmeste.test%2Fpolls%2Fp3")
        assert encoded.status_code == 200
        assert encoded.text.startswith(f"{PREFIX}p3\n4\n")


async def test_json_errors_are_problem_documents(make_witness: WitnessFactory) -> None:
    async with app_client(make_witness()) as client:
        for path in (
            "/checkpoints/vmeste.test/polls/never",
            "/checkpoint?origin=vmeste.test/polls/never",
            "/equivocations?limit=0",
            "/checkpoints?limit=1000",
            "/no-such-page",
        ):
            response = await client.get(path)
            assert response.status_code in (400, 404), path
            assert response.headers["content-type"] == "application/problem+json", path
            problem = response.json()
            assert problem["status"] == response.status_code
            assert problem["type"].startswith("https://")
        wrong_method = await client.get("/add-checkpoint")
        assert wrong_method.status_code == 405
        assert wrong_method.headers["content-type"] == "application/problem+json"


async def test_health_and_the_api_document(make_witness: WitnessFactory) -> None:
    async with app_client(make_witness()) as client:
        live = await client.get("/health/live")
        ready = await client.get("/health/ready")
        assert live.status_code == 200
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok"}}
        schema = (await client.get("/schema/openapi.json")).json()
        assert schema["info"]["title"] == "Vmeste witness"
        add = schema["paths"]["/add-checkpoint"]["post"]
        assert "text/x.tlog.size" in add["responses"]["409"]["content"]
        assert "text/plain" in add["requestBody"]["content"]
        assert "/equivocations" in schema["paths"]
        metrics = await client.get("/metrics")
        assert metrics.status_code == 200
