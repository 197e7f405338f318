"""An official runs a survey and a project vote; citizens cast; the polls close by
themselves; the downloaded boards audit clean with the tally recomputed from the entries."""

from __future__ import annotations

import io

from litestar import Litestar

from shared.log.audit import audit_board
from shared.tally.results import recompute_from_board
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.polls._support import (
    GOOD_ANSWERS,
    cast,
    open_poll,
    project_question,
    survey_body,
    wait_status,
)


async def test_boards_of_a_survey_and_a_project_vote_audit_clean(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        survey = await open_poll(client, official, survey_body(closes_in=2.0))
        question = project_question({"a": 300, "b": 200, "c": 250}, 500, "equal_shares")
        vote = await open_poll(
            client,
            official,
            survey_body(kind="project_vote", questions=[question], closes_in=2.0),
        )
        for choice in (["a"], ["a", "b"], ["b", "c"], ["c"], ["a", "c"]):
            voter = people.citizen()
            assert (await cast(client, voter, survey, GOOD_ANSWERS)).status_code == 201
            assert (await cast(client, voter, vote, {"pb": choice})).status_code == 201
        keys = (await client.get("/api/v1/keys")).json()["keys"]
        for poll_id in (survey, vote):
            await wait_status(client, official, poll_id, "tallied")
            board = (await client.get(f"/api/v1/logs/{poll_id}/board")).content
            report = audit_board(io.BytesIO(board), trusted_keys=keys, tally=recompute_from_board)
            assert report.ok, report.errors
            assert report.entries == 5
            # The certificate binds the definition and the turnout (5 participations).
            assert report.certificate is not None
            assert report.certificate.version == 2
            assert report.certificate.definition_ok
            assert report.certificate.turnout_ok
        allocation = (await client.get(f"/api/v1/polls/{vote}/results")).json()["results"][
            "allocation"
        ]
        assert allocation["spent"] <= 500
        assert allocation["funded"]
