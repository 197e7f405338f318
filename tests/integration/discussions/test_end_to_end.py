"""The whole comment period: draft with attachment, comments with receipts, moderation,
responses, the period closing by itself, the report certified and the board auditing clean."""

from __future__ import annotations

import asyncio
import csv
import hashlib
import io

import msgspec
from litestar import Litestar

from shared.comment_period.report import CommentReport, report_from_board
from shared.log.audit import audit_board
from shared.log.certificate import verify_certificate
from shared.log.note import Verifier
from shared.log.receipt import verify_receipt
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import (
    announce_period,
    comment,
    create_draft,
    moderate,
    wait_status,
)

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


async def test_comment_period_end_to_end_report_audits_clean(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        assert [s["anchor"] for s in draft["sections"]] == ["p1", "p2", "p2-1", "p2-2"]
        attached = await client.post(
            f"/api/v1/drafts/{draft['id']}/attachments",
            files={"file": ("пояснительная записка.pdf", PDF, "application/pdf")},
            headers=official,
        )
        assert attached.status_code == 201, attached.text
        assert attached.json()["sha256"] == hashlib.sha256(PDF).hexdigest()

        period_id = await announce_period(client, official, draft["id"], ends_in=2.5)
        await wait_status(client, period_id, "open")

        texts = ["Поддерживаю.", "Возражаю против вырубки.", "Телефон автора 8-900-000-00-00"]
        receipts = []
        for text, stance, section in zip(
            texts, ["support", "object", "object"], ["", "p2-1", "p2-2"], strict=True
        ):
            response = await comment(
                client, period_id, people.citizen(), text, stance=stance, section=section
            )
            assert response.status_code == 201, response.text
            receipts.append(response.json())
        keys = [Verifier.parse(k) for k in (await client.get("/api/v1/keys")).json()["keys"]]
        for receipt in receipts:
            verified, _ = verify_receipt(receipt["receipt"], keys)
            assert verified.tracking_code == receipt["tracking_code"]

        assert (await moderate(client, official, receipts[0]["id"])).status_code == 201
        assert (await moderate(client, official, receipts[1]["id"])).status_code == 201
        rejected = await moderate(client, official, receipts[2]["id"], "reject", "personal_data")
        assert rejected.json()["status"] == "rejected"
        for receipt, disposition in zip(
            receipts[:2], ["accepted", "partially_accepted"], strict=True
        ):
            answered = await client.post(
                f"/api/v1/comments/{receipt['id']}/response",
                json={"disposition": disposition, "justification": "Учтено в редакции 2."},
                headers=official,
            )
            assert answered.status_code == 204, answered.text

        await wait_status(client, period_id, "closed", within=15)
        published = await client.post(f"/api/v1/periods/{period_id}/report", headers=official)
        assert published.status_code == 201, published.text

        raw = (await client.get(f"/api/v1/periods/{period_id}/report.json")).content
        report = msgspec.json.decode(raw, type=CommentReport)
        outcomes = {
            c.entry_hash: (c.status, c.reason, c.disposition, c.text) for c in report.comments
        }
        assert outcomes == {
            receipts[0]["entry_hash"]: ("published", "", "accepted", texts[0]),
            receipts[1]["entry_hash"]: ("published", "", "partially_accepted", texts[1]),
            receipts[2]["entry_hash"]: ("rejected", "personal_data", "", None),
        }
        assert report.by_disposition == {
            "accepted": 1,
            "partially_accepted": 1,
            "rejected: personal_data": 1,
        }
        assert report.by_section == {"(whole draft)": 1, "p2-1": 1, "p2-2": 1}
        certificate = (await client.get(f"/api/v1/periods/{period_id}/report.certificate")).text
        stated, _ = verify_certificate(certificate, keys)
        stated.check_results(raw)

        html = (await client.get(f"/api/v1/periods/{period_id}/report.html")).text
        assert "rejected: personal_data" in html
        assert "8-900" not in html
        rows = list(
            csv.DictReader(
                io.StringIO((await client.get(f"/api/v1/periods/{period_id}/report.csv")).text)
            )
        )
        assert [r["disposition"] for r in rows].count("rejected: personal_data") == 1

        board = (await client.get(f"/api/v1/logs/{period_id}/board")).content
        audit = await asyncio.to_thread(
            audit_board,
            io.BytesIO(board),
            trusted_keys=[str(k) for k in (await client.get("/api/v1/keys")).json()["keys"]],
            tally=report_from_board,
        )
        assert audit.ok, audit.findings
        assert audit.certificate is not None
        assert audit.certificate.tally == "match"
        assert (audit.certificate.version, stated.turnout) == (2, 3)
        assert audit.certificate.definition_ok
        assert audit.certificate.turnout_ok
        assert b"8-900" not in board
