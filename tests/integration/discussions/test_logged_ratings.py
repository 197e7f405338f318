"""Ratings of responses enter the comment period's log and corrected responses keep their
earlier text: `vmeste audit verify` recomputes the report's ratings and average from the
log, and a board whose rating or average was changed fails the audit."""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from typing import Any

import msgspec
from litestar import Litestar
from typer.testing import CliRunner

from cli.main import app as cli
from shared.comment_period.entry import is_rating
from shared.comment_period.report import REPORT_FORMAT_V2, CommentReport
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import comment, moderate, open_period, wait_status


def _audit(board: bytes, keys: bytes, tmp_path: Path, name: str) -> tuple[int, str]:
    (tmp_path / f"{name}.jsonl").write_bytes(board)
    (tmp_path / "keys.json").write_bytes(keys)
    result = CliRunner().invoke(
        cli,
        ["audit", "verify", str(tmp_path / f"{name}.jsonl"), "--keys", str(tmp_path / "keys.json")],
        terminal_width=200,
    )
    return result.exit_code, result.output


def _records(board: bytes) -> list[dict[str, Any]]:
    return [msgspec.json.decode(line) for line in board.splitlines()]


def _board(records: list[dict[str, Any]]) -> bytes:
    return b"".join(msgspec.json.encode(r) + b"\n" for r in records)


async def test_ratings_are_logged_and_the_audit_recomputes_their_average(
    app: Litestar, people: People, tmp_path: Path
) -> None:
    official = people.official()
    authors = [people.citizen(sub=f"author-{n}-" + "5" * 16) for n in range(3)]
    async with app_client(app) as client:
        _, period_id = await open_period(client, official, ends_in=3.0)
        ids = []
        for n, author in enumerate(authors):
            submitted = await comment(client, period_id, author, f"Предложение {n}.")
            assert submitted.status_code == 201, submitted.text
            ids.append(submitted.json()["id"])
            assert (await moderate(client, official, ids[-1])).status_code == 201
            answered = await client.post(
                f"/api/v1/comments/{ids[-1]}/response",
                json={"disposition": "rejected", "justification": f"Первый ответ {n}."},
                headers=official,
            )
            assert answered.status_code == 204, answered.text

        url = f"/api/v1/comments/{ids[1]}/response"
        correction = {"disposition": "accepted", "justification": "Исправлено: учтено."}
        assert (await client.put(url, json=correction, headers=official)).status_code == 204
        unchanged = await client.put(url, json=correction, headers=official)
        assert unchanged.status_code == 400
        assert unchanged.json()["type"].endswith("/correction-unchanged")
        other_org = people.official(org="other-town", territory=("45380",))
        assert (await client.put(url, json=correction, headers=other_org)).status_code == 403

        for n, value in ((0, 5), (1, 2)):
            rated = await client.post(
                f"/api/v1/comments/{ids[n]}/rating", json={"rating": value}, headers=authors[n]
            )
            assert rated.status_code == 204, rated.text

        mine = (await client.get("/api/v1/me/comments", headers=authors[0])).json()["items"]
        code = mine[0]["rating_tracking_code"]
        assert code
        assert code != mine[0]["tracking_code"]
        tracked = await client.get(f"/api/v1/logs/{period_id}/tracking/{code}")
        assert tracked.status_code == 200, tracked.text
        my_page = (await client.get("/my/comments", headers=authors[0])).text
        assert f'<span class="mono" data-rating-code>{code}</span>' in my_page

        listed = (await client.get(f"/api/v1/periods/{period_id}/comments")).json()["items"]
        corrected = next(c for c in listed if c["id"] == ids[1])
        assert corrected["justification"] == "Исправлено: учтено."
        assert [e["justification"] for e in corrected["earlier_responses"]] == ["Первый ответ 1."]
        assert corrected["earlier_responses"][0]["corrected_at"] == corrected["responded_at"]
        page = (await client.get(f"/discussions/{period_id}")).text
        assert "<del>Первый ответ 1.</del>" in page

        await wait_status(client, period_id, "closed", within=15)
        published = await client.post(f"/api/v1/periods/{period_id}/report", headers=official)
        assert published.status_code == 201, published.text

        late = await client.post(
            f"/api/v1/comments/{ids[2]}/rating", json={"rating": 4}, headers=authors[2]
        )
        assert late.status_code == 409
        assert late.json()["type"].endswith("/rating-after-report")
        too_late = await client.put(
            f"/api/v1/comments/{ids[2]}/response", json=correction, headers=official
        )
        assert too_late.status_code == 409
        assert too_late.json()["type"].endswith("/report-published")

        raw = (await client.get(f"/api/v1/periods/{period_id}/report.json")).content
        report = msgspec.json.decode(raw, type=CommentReport)
        assert report.format == REPORT_FORMAT_V2
        assert (report.comment_entries, report.rating_entries, report.log_size) == (3, 2, 5)
        assert (report.ratings, report.rating_sum, report.average_rating) == (2, 7, "3.50")
        by_id = {c.entry_hash: c for c in report.comments}
        assert sum(c.rating_entry is not None for c in by_id.values()) == 2
        assert [
            (e.disposition, e.justification) for c in report.comments for e in c.earlier_responses
        ] == [("rejected", "Первый ответ 1.")]
        rows = list(
            csv.DictReader(
                io.StringIO((await client.get(f"/api/v1/periods/{period_id}/report.csv")).text)
            )
        )
        assert sum("Первый ответ 1." in r["earlier_responses"] for r in rows) == 1
        html = (await client.get(f"/api/v1/periods/{period_id}/report.html")).text
        assert "Первый ответ 1." in html

        board = (await client.get(f"/api/v1/logs/{period_id}/board")).content
        keys = (await client.get("/api/v1/keys")).content

    code, output = _audit(board, keys, tmp_path, "board")
    assert code == 0, output

    records = _records(board)
    runs = [r for r in records if r["type"] == "entries"]
    entries = [base64.b64decode(e) for r in runs for e in r["entries"]]
    assert sum(is_rating(e) for e in entries) == 2

    # A rating entry changed on the board: its leaves no longer give the signed root.
    changed = _records(board)
    for run in (r for r in changed if r["type"] == "entries"):
        for n, encoded in enumerate(run["entries"]):
            entry = base64.b64decode(encoded)
            if is_rating(entry) and b'"rating":5' in entry:
                run["entries"][n] = base64.b64encode(
                    entry.replace(b'"rating":5', b'"rating":1')
                ).decode()
    code, output = _audit(_board(changed), keys, tmp_path, "rating")
    assert code == 1, output
    assert "checkpoint-root-mismatch" in output

    # The published average changed: the results no longer hash to the certified SHA-256.
    doctored = _records(board)
    certificate = next(r for r in doctored if r["type"] == "certificate")
    results = base64.b64decode(certificate["results"])
    assert b'"average_rating":"3.50"' in results
    certificate["results"] = base64.b64encode(
        results.replace(b'"average_rating":"3.50"', b'"average_rating":"4.50"')
    ).decode()
    code, output = _audit(_board(doctored), keys, tmp_path, "average")
    assert code == 1, output
    assert "certificate-results" in output
