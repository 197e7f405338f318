"""Results, analytics and the allocation of project votes, checked against pabutools."""

from __future__ import annotations

import asyncio
import csv
import io
import random
from typing import Any

import pytest
from litestar import Litestar
from pabutools.election import (
    ApprovalBallot,
    ApprovalProfile,
    CumulativeBallot,
    CumulativeProfile,
    Instance,
)
from pabutools.election import Project as PbProject
from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares, sequential_phragmen
from pabutools.tiebreaking import lexico_tie_breaking

from shared.tally.allocation import rule_parameters
from shared.tally.definition import ProjectVote
from shared.tally.pabulib import import_pb
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.polls._support import (
    GOOD_ANSWERS,
    cast,
    create,
    open_poll,
    project_question,
    survey_body,
    wait_status,
)

COSTS = {"p1": 400, "p2": 300, "p3": 250, "p4": 200, "p5": 150, "p6": 100}
BUDGET = 800


def _profile(rng: random.Random, n: int, cumulative: bool) -> list[Any]:
    projects = list(COSTS)
    if cumulative:
        ballots: list[Any] = []
        for _ in range(n):
            chosen = rng.sample(projects, rng.randint(1, 3))
            ballots.append({p: rng.randint(1, 2) for p in chosen})
        return ballots
    return [sorted(rng.sample(projects, rng.randint(1, 4))) for _ in range(n)]


def _pabutools_funded(question: ProjectVote, answers: list[Any], cumulative: bool) -> set[str]:
    """pabutools run directly, one ballot per voter, with the rule Vmeste documents."""
    voted = {p for a in answers for p in a}
    by_id = {p: PbProject(p, COSTS[p]) for p in COSTS if p in voted}
    instance = Instance(by_id.values(), budget_limit=BUDGET)
    profile: Any
    if cumulative:
        profile = CumulativeProfile(instance=instance)
        for a in answers:
            profile.append(CumulativeBallot({by_id[p]: v for p, v in a.items()}))
    else:
        profile = ApprovalProfile(instance=instance)
        for a in answers:
            profile.append(ApprovalBallot(by_id[p] for p in a))
    if question.rule == "greedy":
        outcome = greedy_utilitarian_welfare(
            instance, profile, tie_breaking=lexico_tie_breaking, **rule_parameters(question)
        )
    elif question.rule == "phragmen":
        outcome = sequential_phragmen(instance, profile, tie_breaking=lexico_tie_breaking)
    else:
        mes = method_of_equal_shares(
            instance, profile, tie_breaking=lexico_tie_breaking, **rule_parameters(question)
        )
        outcome = mes
        if not instance.is_exhaustive(mes):
            from shared.tally.allocation import _greedy_parameters

            outcome = greedy_utilitarian_welfare(
                instance,
                profile,
                tie_breaking=lexico_tie_breaking,
                initial_budget_allocation=mes,
                **_greedy_parameters(question),
            )
    return {str(p.name) for p in outcome}


@pytest.mark.parametrize(
    ("rule", "ballot_kind"),
    [
        ("greedy", {"kind": "approval", "max_approvals": 4}),
        ("equal_shares", {"kind": "approval", "max_approvals": 4}),
        ("phragmen", {"kind": "approval", "max_approvals": 4}),
        ("greedy", {"kind": "cumulative", "points": 6, "max_per_project": 2}),
        ("equal_shares", {"kind": "cumulative", "points": 6, "max_per_project": 2}),
    ],
)
async def test_funded_projects_match_pabutools_run_directly(
    app: Litestar, people: People, rule: str, ballot_kind: dict[str, Any]
) -> None:
    cumulative = ballot_kind["kind"] == "cumulative"
    question = project_question(COSTS, BUDGET, rule, ballot_kind)
    answers = _profile(random.Random(rule + ballot_kind["kind"]), 25, cumulative)
    async with app_client(app) as client:
        official = people.official()
        body = survey_body(kind="project_vote", questions=[question], closes_in=2.0)
        poll_id = await open_poll(client, official, body)
        for answer in answers:
            response = await cast(client, people.citizen(), poll_id, {"pb": answer})
            assert response.status_code == 201, response.text
        await wait_status(client, official, poll_id, "tallied")
        results = (await client.get(f"/api/v1/polls/{poll_id}/results")).json()["results"]
        definition = (await client.get(f"/api/v1/polls/{poll_id}")).json()["definition"]
    allocation = results["allocation"]
    import msgspec

    vote = msgspec.convert(definition["questions"][0], ProjectVote)
    assert set(allocation["funded"]) == _pabutools_funded(vote, answers, cumulative)
    assert allocation["spent"] + allocation["remaining"] == BUDGET
    for outcome in allocation["projects"]:
        assert (outcome["reason"] is None) == outcome["funded"]


async def test_live_counts_only_where_the_poll_allows_them_and_only_per_mixed_batch(
    app: Litestar, people: People
) -> None:
    async with app_client(app) as client:
        official = people.official()
        hidden = await open_poll(client, official, survey_body())
        shown = await open_poll(
            client, official, survey_body(show_intermediate_results=True, anonymity_batch=10)
        )
        citizen = people.citizen()
        assert (await cast(client, people.citizen(), hidden, GOOD_ANSWERS)).status_code == 201
        for _ in range(19):
            assert (await cast(client, people.citizen(), shown, GOOD_ANSWERS)).status_code == 201
        await app.state.polls.logs.integrate_now(shown)
        # Not for citizens, and not for the organisation either: turnout, not answers.
        for who in (citizen, official):
            refused = await client.get(f"/api/v1/polls/{hidden}/results", headers=who)
            assert refused.status_code == 409
        # 19 pooled ballots are fewer than 2k: none is mixed into the log, none is counted.
        live = (await client.get(f"/api/v1/polls/{shown}/results", headers=citizen)).json()
        assert live["official"] is False
        assert live["results"]["ballots"] == 0
        assert (await cast(client, people.citizen(), shown, GOOD_ANSWERS)).status_code == 201
        await app.state.polls.logs.integrate_now(shown)
        await asyncio.sleep(2.1)  # past the live-results cache
        live = (await client.get(f"/api/v1/polls/{shown}/results", headers=citizen)).json()
        # The 20th ballot let all of the pool but k = 10 (so 10) into the log, and only that.
        assert live["results"]["ballots"] == 10
        park = live["results"]["questions"][0]
        assert park["options"][0] == {"option": "yes", "count": 10, "share": "1.000000"}


async def test_analytics_suppress_cells_under_k_voters(app: Litestar, people: People) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await open_poll(client, official, survey_body())
        for _ in range(11):
            await cast(client, people.citizen(oktmo="92701000001"), poll_id, GOOD_ANSWERS)
        for _ in range(3):
            await cast(client, people.citizen(oktmo="92701000002"), poll_id, GOOD_ANSWERS)
        analytics = await client.get(f"/api/v1/polls/{poll_id}/analytics", headers=official)
        body = analytics.json()
        assert body["voters"] == 14
        cells = {c["key"]: c for c in body["by_municipality"]}
        assert cells["92701000002"] == {"key": "92701000002", "voters": None, "suppressed": True}
        # One hidden cell could be worked out from the total, so the other hides too.
        assert cells["92701000001"]["suppressed"] is True
        assert body["by_age_band"] == [{"key": "45-54", "voters": 14, "suppressed": False}]
        citizen = await client.get(f"/api/v1/polls/{poll_id}/analytics", headers=people.citizen())
        assert citizen.status_code == 403
        tiny_k = await client.get(
            f"/api/v1/polls/{poll_id}/analytics", params={"k": 2}, headers=official
        )
        assert tiny_k.status_code == 400


async def test_pb_import_makes_a_draft_and_export_gives_the_ballots(
    app: Litestar, people: People
) -> None:
    pb = (
        "META\nkey;value\ndescription;Park\ncountry;Russia\nunit;Kazan\ninstance;1\n"
        "num_projects;3\nnum_votes;2\nbudget;500\nvote_type;approval\nrule;greedy\n"
        "PROJECTS\nproject_id;cost;name\na;300;A\nb;200;B\nc;250;C\n"
        "VOTES\nvoter_id;vote\n1;a,b\n2;c\n"
    )
    async with app_client(app) as client:
        official = people.official()
        body = survey_body()
        imported = await client.post(
            "/api/v1/polls/import",
            json={
                "organisation": "kazan",
                "pb": pb,
                "opens_at": body["opens_at"],
                "closes_at": survey_body(closes_in=1.0)["closes_at"],
            },
            headers=official,
        )
        assert imported.status_code == 201, imported.text
        poll = imported.json()["poll"]
        assert poll["status"] == "draft"
        assert imported.json()["votes_in_file"] == 2
        poll_id = poll["id"]
        await client.post(f"/api/v1/polls/{poll_id}/schedule", headers=official)
        await wait_status(client, official, poll_id, "open")
        await cast(client, people.citizen(), poll_id, {"projects": ["a", "b"]})
        await wait_status(client, official, poll_id, "tallied")
        exported = await client.get(f"/api/v1/polls/{poll_id}/export.pb")
        assert exported.status_code == 200
        again = import_pb(exported.text, poll_id="x")
        assert again.answers == ({"projects": ("a", "b")},)
        # The export of a tallied poll is built once: more downloads read no ballots.
        store = app.state["polls"].logs.store
        reads = []
        entries = store.entries

        async def counted(*args: Any) -> Any:
            reads.append(args)
            return await entries(*args)

        store.entries = counted
        try:
            for _ in range(3):
                repeat = await client.get(f"/api/v1/polls/{poll_id}/export.pb")
                assert repeat.text == exported.text
        finally:
            del store.entries
        assert reads == []
        bad = await client.post(
            "/api/v1/polls/import",
            json={**{"organisation": "kazan", "pb": "nonsense"}, **_times(body)},
            headers=official,
        )
        assert bad.status_code == 422
        _ = create


def _times(body: dict[str, Any]) -> dict[str, Any]:
    return {"opens_at": body["opens_at"], "closes_at": body["closes_at"]}


async def test_results_and_analytics_export_as_csv(app: Litestar, people: People) -> None:
    async with app_client(app) as client:
        official = people.official()
        poll_id = await open_poll(client, official, survey_body(closes_in=2.0))
        for _ in range(3):
            await cast(client, people.citizen(), poll_id, GOOD_ANSWERS)
        await wait_status(client, official, poll_id, "tallied")
        exported = await client.get(f"/api/v1/polls/{poll_id}/results.csv")
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        assert "attachment" in exported.headers["content-disposition"]
        rows = list(csv.reader(io.StringIO(exported.text)))
        assert rows[0] == ["question", "kind", "item", "measure", "value"]
        assert ["poll", "tallied", poll_id, "ballots", "3"] in rows
        assert ["park", "single_choice", "yes", "count", "3"] in rows
        assert ["happy", "scale", "4", "count", "3"] in rows
        turnout = await client.get(f"/api/v1/polls/{poll_id}/analytics.csv", headers=official)
        assert turnout.status_code == 200
        cells = list(csv.reader(io.StringIO(turnout.text)))
        assert cells[0] == ["dimension", "key", "voters"]
        assert all(row[2] == "suppressed" for row in cells[1:])  # 3 voters < k = 10
        refused = await client.get(
            f"/api/v1/polls/{poll_id}/analytics.csv", headers=people.citizen()
        )
        assert refused.status_code == 403
