"""Polls: who manages them, the lifecycle, frozen questions, and the scheduler."""

from __future__ import annotations

import base64

import msgspec
from litestar import Litestar

from shared.log.certificate import verify_certificate
from shared.log.note import Verifier
from shared.tally.results import Results, results_bytes
from tests.harness.asgi import app_client
from tests.harness.people import OTHER_TOWN, People
from tests.integration.polls._support import (
    FREE_TEXT,
    GOOD_ANSWERS,
    SURVEY_QUESTIONS,
    cast,
    create,
    survey_body,
    wait_status,
)


async def test_scheduled_poll_opens_and_closes_by_itself_and_is_certified(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await create(client, official, survey_body(opens_in=1.0, closes_in=2.5))
        assert (await client.get(f"/api/v1/polls/{poll_id}", headers=official)).json()[
            "status"
        ] == "draft"
        scheduled = await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official)
        assert scheduled.json()["status"] == "scheduled"
        await wait_status(client, official, poll_id, "open")
        assert (await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)).status_code == 201
        tallied = await wait_status(client, official, poll_id, "tallied")
        assert tallied["status"] == "tallied"
        results = (await client.get(f"/api/v1/polls/{poll_id}/results")).json()
        assert results["official"] is True
        assert results["results"]["ballots"] == 1
        keys = [Verifier.parse(k) for k in (await client.get("/api/v1/keys")).json()["keys"]]
        official_bytes = results_bytes(msgspec.convert(results["results"], Results))
        certificate, _ = verify_certificate(results["certificate"], keys, results=official_bytes)
        assert certificate.size == 1


async def test_questions_are_frozen_once_scheduled(app: Litestar, people: People) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await create(client, official, survey_body(opens_in=600))
        edited = await client.patch(
            f"/api/v1/polls/{poll_id}", json={"questions": SURVEY_QUESTIONS[:2]}, headers=official
        )
        assert edited.status_code == 200
        assert len(edited.json()["definition"]["questions"]) == 2
        await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official)
        frozen = await client.patch(
            f"/api/v1/polls/{poll_id}", json={"questions": SURVEY_QUESTIONS}, headers=official
        )
        assert frozen.status_code == 409
        assert frozen.json()["type"].endswith("/poll-frozen")
        described = await client.patch(
            f"/api/v1/polls/{poll_id}", json={"description": "Now with a map"}, headers=official
        )
        assert described.json()["description"] == "Now with a map"
        again = await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official)
        assert again.status_code == 409


async def test_only_officials_of_the_organisation_manage_its_polls(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        citizen = people.citizen()
        refused = await client.post("/api/v1/polls", json=survey_body(), headers=citizen)
        assert refused.status_code == 403
        other = people.official("other-town", ("4538",))
        foreign = await client.post("/api/v1/polls", json=survey_body(), headers=other)
        assert foreign.status_code == 403
        poll_id = await create(client, people.official(), survey_body(opens_in=600))
        touched = await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=other)
        assert touched.status_code == 404
        anonymous = await client.post("/api/v1/polls", json=survey_body())
        assert anonymous.status_code == 401


async def test_poll_rules_are_checked_with_every_issue_listed(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        bad_scale = {"kind": "scale", "id": "s", "text": "?", "min": 5, "max": 1}
        body = survey_body(
            questions=[*SURVEY_QUESTIONS, bad_scale],
            eligibility={"territory": ["4538"]},
            opens_in=100,
            closes_in=50,
        )
        response = await client.post("/api/v1/polls", json=body, headers=official)
        assert response.status_code == 422
        paths = {e["path"] for e in response.json()["errors"]}
        assert {"questions.s.min", "eligibility.territory[0]"} <= paths


async def test_bad_json_and_unknown_fields_are_400_problems(app: Litestar, people: People) -> None:
    async with app_client(app) as client:
        official = {**people.official(), "content-type": "application/json"}
        broken = await client.post("/api/v1/polls", content=b"{not json", headers=official)
        assert broken.status_code == 400
        assert broken.json()["type"].endswith("/malformed-json")
        unknown = await client.post(
            "/api/v1/polls", json={**survey_body(), "colour": "red"}, headers=official
        )
        assert unknown.status_code == 400
        assert unknown.json()["type"].endswith("/unknown-field")
        assert unknown.headers["content-type"] == "application/problem+json"


async def test_cancel_needs_a_reason_and_is_refused_once_closed(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await create(client, official, survey_body(opens_in=600))
        cancelled = await client.post(
            f"/api/v1/polls/{poll_id}/cancel", json={"reason": "Wrong park"}, headers=official
        )
        assert cancelled.json()["status"] == "cancelled"
        assert cancelled.json()["cancel_reason"] == "Wrong park"
        edit = await client.patch(
            f"/api/v1/polls/{poll_id}", json={"description": "x"}, headers=official
        )
        assert edit.status_code == 409
        closed_id = await create(client, official, survey_body(closes_in=0.6))
        await client.post(f"/api/v1/polls/{closed_id}/schedule", headers=official)
        await wait_status(client, official, closed_id, "tallied")
        late = await client.post(
            f"/api/v1/polls/{closed_id}/cancel", json={"reason": "Too late"}, headers=official
        )
        assert late.status_code == 409


async def test_citizens_list_only_polls_they_may_take_part_in(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        young = await create(client, official, survey_body(eligibility={"min_age": 60}))
        everyone = await create(client, official, survey_body())
        district = await create(
            client, official, survey_body(eligibility={"territory": ["9270100"]})
        )
        draft = await create(client, official, survey_body())
        for poll_id in (young, everyone, district):
            await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official)
        citizen = people.citizen()
        seen = (await client.get("/api/v1/polls", headers=citizen)).json()
        assert {p["id"] for p in seen["items"]} == {everyone, district}
        page = (await client.get("/api/v1/polls", params={"limit": 1}, headers=citizen)).json()
        assert len(page["items"]) == 1
        assert page["next_offset"] == 1
        assert page["total"] == 2
        outsider = people.citizen(oktmo=OTHER_TOWN)
        assert (await client.get("/api/v1/polls", headers=outsider)).json()["items"] == []
        hidden = await client.get(f"/api/v1/polls/{draft}", headers=citizen)
        assert hidden.status_code == 404
        mine = (await client.get("/api/v1/polls", headers=official)).json()
        assert mine["total"] == 4


async def test_free_text_ballots_are_for_the_organisation_and_auditors_only(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        body = survey_body(questions=[*SURVEY_QUESTIONS, FREE_TEXT], closes_in=1.5)
        poll_id = await create(client, official, body)
        await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official)
        await wait_status(client, official, poll_id, "open")
        answers = {**GOOD_ANSWERS, "comment": "More bins please"}
        assert (await cast(client, people.citizen(), poll_id, answers)).status_code == 201
        await wait_status(client, official, poll_id, "tallied")
        public = await client.get(f"/api/v1/logs/{poll_id}/board")
        assert public.status_code == 403
        assert (await client.get(f"/api/v1/logs/{poll_id}/checkpoint")).status_code == 200
        audited = await client.get(f"/api/v1/logs/{poll_id}/board", headers=people.auditor())
        assert audited.status_code == 200
        entries = await client.get(f"/api/v1/logs/{poll_id}/entries", headers=official)
        assert b"More bins please" in base64.b64decode(entries.json()["entries"][0])
        texts = (await client.get(f"/api/v1/polls/{poll_id}/results", headers=official)).json()
        assert texts["free_text"] == {"comment": ["More bins please"]}
        citizen_view = (await client.get(f"/api/v1/polls/{poll_id}/results")).json()
        assert citizen_view["free_text"] is None
