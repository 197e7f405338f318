"""Answers by municipality and age band: counted only at the tally from the certified ballots,
served to the poll's officials and auditors only, never with a cell under k that could be read
or worked out from the totals."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Litestar

from services.polls.casting.tables import Participation
from tests.harness.asgi import app_client
from tests.harness.people import KAZAN, People
from tests.integration.discussions._forms import PAGE
from tests.integration.polls._support import (
    GOOD_ANSWERS,
    cast,
    open_poll,
    survey_body,
    wait_status,
)

SUBURB = "92701000002"
"""A second municipality of the city organisation's territory."""


def _table(body: dict[str, Any], question: str, dimension: str) -> dict[str, Any]:
    return next(
        t for t in body["tables"] if t["question"] == question and t["dimension"] == dimension
    )


async def test_answers_by_group_are_published_only_after_the_tally_and_suppressed(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        auditor = people.auditor()
        poll_id = await open_poll(client, official, survey_body(closes_in=4.0))
        voters = [(KAZAN, "yes", dt.date(1980, 1, 1))] * 14
        voters += [(KAZAN, "no", dt.date(2000, 1, 1))] * 11
        voters += [(SUBURB, "no", dt.date(1980, 1, 1))] * 3
        for oktmo, park, born in voters:
            voter = people.citizen(oktmo=oktmo, born=born)
            response = await cast(client, voter, poll_id, {**GOOD_ANSWERS, "park": park})
            assert response.status_code == 201, response.text
        early = await client.get(f"/api/v1/polls/{poll_id}/answers", headers=official)
        assert early.status_code == 409  # never while the poll is open
        assert early.json()["type"].endswith("answers-not-available")

        await wait_status(client, official, poll_id, "tallied")
        body = (await client.get(f"/api/v1/polls/{poll_id}/answers", headers=official)).json()
        assert body["k"] == 10
        assert body["voters"] == len(voters)
        by_town = _table(body, "park", "municipality")
        assert by_town["answers"] == ["yes", "no"]
        rows = {row["key"]: row["counts"] for row in by_town["rows"]}
        # The suburb's 3 are hidden, and with them enough cells that subtraction from the
        # official totals (yes 14, no 14) and the turnout (25, 3) gives nothing away.
        assert rows[SUBURB] == [None, None]
        assert None in rows[KAZAN]
        for table in body["tables"]:
            for row in table["rows"]:
                assert all(n is None or n >= 10 for n in row["counts"])
        bands = _table(body, "park", "age_band")
        assert len(bands["rows"]) == 2  # two age bands

        # The seals it was counted from are gone; the breakdown stays.
        seals = await Participation.select(Participation.sealed).where(
            Participation.poll_id == poll_id
        )
        assert seals
        assert all(not bytes(r["sealed"]) for r in seals)
        assert (
            await client.get(f"/api/v1/polls/{poll_id}/answers", headers=auditor)
        ).json() == body

        stricter = (
            await client.get(f"/api/v1/polls/{poll_id}/answers?k=12", headers=official)
        ).json()
        for table in stricter["tables"]:
            for row in table["rows"]:
                assert all(n is None or n >= 12 for n in row["counts"])

        csv = await client.get(f"/api/v1/polls/{poll_id}/answers.csv", headers=official)
        assert csv.status_code == 200
        lines = csv.text.splitlines()
        assert lines[0] == "question,dimension,group,answer,voters"
        assert f"park,municipality,{SUBURB},no,suppressed" in lines

        citizen = await client.get(f"/api/v1/polls/{poll_id}/answers", headers=people.citizen())
        assert citizen.status_code == 403
        other_org = people.official(org="other", territory=("4538",))
        refused = await client.get(f"/api/v1/polls/{poll_id}/answers", headers=other_org)
        assert refused.status_code in (403, 404)

        for who, linked in ((auditor, True), (people.citizen(), False)):
            results = await client.get(f"/polls/{poll_id}/results", headers={**who, **PAGE})
            assert results.status_code == 200
            assert ("data-answers-page" in results.text) is linked
        denied = await client.get(f"/polls/{poll_id}/answers", headers={**people.citizen(), **PAGE})
        assert denied.status_code == 403
        shown = await client.get(f"/polls/{poll_id}/answers", headers={**official, **PAGE})
        assert shown.status_code == 200
        assert 'data-answers="park:municipality"' in shown.text
        assert "data-suppressed" in shown.text
        assert shown.text.count("<table") == len(body["tables"])
