"""The admins' registry served by the sign-in component: organisations, grants by id and by
invitation link, revocations, and the audit trail, through the API and the pages, on SQLite
and PostgreSQL. People sign in with the development provider, so sessions are real and a
change is seen to reach them at their next refresh."""

from __future__ import annotations

import asyncio
import datetime as dt
import re
import secrets
from typing import Any

import httpx
import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shared.identity.tables import Invitation, Municipality, TerritoryImport
from shared.web.ui.csrf import CSRF_FIELD
from tests.harness.people import People, auth

PAGE = {"Accept": "text/html"}
PROBLEM = "application/problem+json"
Client = AsyncTestClient[Litestar]


async def sign_in(client: httpx.AsyncClient, who: str) -> dict[str, Any]:
    """Development sign-in as a browser does it; what /me says about the person."""
    start = await client.get("/auth/login", params={"next": "/me"}, follow_redirects=False)
    page = await client.get(start.headers["location"])
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state is not None
    done = await client.get(
        "/auth/callback", params={"code": who, "state": state.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    me: dict[str, Any] = (await client.get("/me")).json()
    return me


def _admin(people: People) -> dict[str, str]:
    return auth(people.token(sub=secrets.token_hex(32), roles=("admin",)))


def _org(slug: str = "ishim-city", **extra: Any) -> dict[str, Any]:
    return {"slug": slug, "name": "Администрация города Ишима", "territory": ["71705000"], **extra}


async def _trail(client: httpx.AsyncClient, who: dict[str, str], **params: Any) -> Any:
    answer = await client.get("/api/v1/admin/trail", headers=who, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()


async def _name_municipalities() -> None:
    """An imported register naming Ishim, as ``vmeste territory import`` leaves it."""
    await TerritoryImport.insert(
        TerritoryImport(
            region="72",
            generation=1,
            imported_at=dt.datetime.now(dt.UTC),
            source="test",
            object_count=0,
            municipality_count=2,
        )
    )
    for code, name in (("71705000", "г.о. город Ишим"), ("71710000", "г.о. город Тобольск")):
        await Municipality.insert(
            Municipality(oktmo=code, name=name, level=3, region="72", generation=1)
        )


async def test_an_admin_registers_and_edits_an_organisation_and_the_trail_says_so(
    app: Litestar, people: People
) -> None:
    admin = _admin(people)
    admin_sub = people_sub(admin)
    await _name_municipalities()
    async with AsyncTestClient(app) as client:
        made = await client.post(
            "/api/v1/admin/organisations",
            json=_org(embed_origins=["HTTPS://Ishim.RU"]),
            headers=admin,
        )
        assert made.status_code == 201, made.text
        assert made.json()["territory"] == [{"oktmo": "71705000", "name": "г.о. город Ишим"}]
        assert made.json()["embed_origins"] == ["https://ishim.ru"]
        again = await client.post("/api/v1/admin/organisations", json=_org(), headers=admin)
        assert again.status_code == 409
        assert again.headers["content-type"].startswith(PROBLEM)

        edited = await client.put(
            "/api/v1/admin/organisations/ishim-city",
            json={
                "name": "Администрация г. Ишима",
                "territory": ["71705000", "71710000", "71705000000"],
                "embed_origins": ["https://ishim.ru", "https://xn--h1aam0c.xn--p1ai"],
            },
            headers=admin,
        )
        assert edited.status_code == 200, edited.text
        assert [t["name"] for t in edited.json()["territory"]] == [
            "г.о. город Ишим",
            "г.о. город Тобольск",
            None,
        ]
        # Refused input changes nothing.
        for body in (
            {"name": "X", "territory": ["Ишим"]},
            {"name": "X", "territory": ["71705000"], "embed_origins": ["https://ishim.ru/w"]},
            {"name": "X", "territory": ["71705000"], "colour": "red"},
        ):
            refused = await client.put(
                "/api/v1/admin/organisations/ishim-city", json=body, headers=admin
            )
            assert refused.status_code in (400, 422), refused.text
            assert refused.headers["content-type"].startswith(PROBLEM)
        missing = await client.put(
            "/api/v1/admin/organisations/nowhere",
            json={"name": "X", "territory": ["71705000"]},
            headers=admin,
        )
        assert missing.status_code == 404
        got = (await client.get("/api/v1/admin/organisations/ishim-city", headers=admin)).json()
        assert got["name"] == "Администрация г. Ишима"
        assert len(got["territory"]) == 3

        changes = (await _trail(client, admin))["changes"]
        mine = [c for c in changes if c["organisation"] == "ishim-city"]
        assert [c["action"] for c in mine] == ["organisation.update", "organisation.create"]
        assert {c["actor"] for c in mine} == {admin_sub}
        update, create = mine
        assert create["before"] is None
        assert create["after"]["territory"] == ["71705000"]
        assert update["before"]["name"] == "Администрация города Ишима"
        assert update["after"]["territory"] == ["71705000", "71710000", "71705000000"]


def people_sub(headers: dict[str, str]) -> str:
    """The subject of a Bearer token the test minted."""
    token = headers["Authorization"].removeprefix("Bearer ")
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


async def test_only_admins_change_the_registry_and_auditors_read_its_trail(
    app: Litestar, people: People
) -> None:
    async with AsyncTestClient(app) as client:
        for who in (people.citizen(), people.official(), people.auditor()):
            refused = await client.post("/api/v1/admin/organisations", json=_org(), headers=who)
            assert refused.status_code == 403
            assert refused.headers["content-type"].startswith(PROBLEM)
        anonymous = await client.get("/api/v1/admin/organisations")
        assert anonymous.status_code == 401
        assert anonymous.headers["content-type"].startswith(PROBLEM)
        assert (await client.get("/api/v1/admin/trail", headers=people.citizen())).status_code == (
            403
        )
        assert (await client.get("/api/v1/admin/trail", headers=people.auditor())).status_code == (
            200
        )
        assert (await client.get("/api/v1/admin/organisations")).status_code == 401
        listed = await client.get("/api/v1/admin/organisations", headers=_admin(people))
        assert {o["slug"] for o in listed.json()["organisations"]} >= {"tyumen-city"}


async def test_a_grant_by_id_reaches_the_session_at_its_next_refresh_and_so_does_a_revocation(
    app: Litestar, people: People
) -> None:
    admin = _admin(people)
    async with AsyncTestClient(app) as client:
        me = await sign_in(client, "citizen-tyumen")
        assert me["roles"] == ["citizen"]
        granted = await client.post(
            "/api/v1/admin/memberships",
            json={
                "sub": me["sub"],
                "role": "official",
                "organisation": "tyumen-city",
                "permissions": ["moderate"],
            },
            headers=admin,
        )
        assert granted.status_code == 201, granted.text
        membership = granted.json()
        assert (await client.get("/me")).json()["roles"] == ["citizen"]
        assert (await client.post("/auth/refresh")).status_code == 200
        now = (await client.get("/me")).json()
        assert now["roles"] == ["citizen", "official"]
        assert now["organisations"][0]["permissions"] == ["moderate"]

        listed = await client.get(
            "/api/v1/admin/memberships", params={"organisation": "tyumen-city"}, headers=admin
        )
        assert membership["id"] in [m["id"] for m in listed.json()["memberships"]]
        assert "15 minutes" in listed.json()["takes_effect"]

        revoked = await client.post(
            f"/api/v1/admin/memberships/{membership['id']}/revoke", headers=admin
        )
        assert revoked.status_code == 200
        assert (await client.get("/me")).json()["roles"] == ["citizen", "official"]
        await client.post("/auth/refresh")
        assert (await client.get("/me")).json()["roles"] == ["citizen"]
        again = await client.post(
            f"/api/v1/admin/memberships/{membership['id']}/revoke", headers=admin
        )
        assert again.status_code == 404

        # A revocation that ends the person's sessions takes effect at once.
        regranted = await client.post(
            "/api/v1/admin/memberships",
            json={"sub": me["sub"], "role": "auditor"},
            headers=admin,
        )
        await client.post("/auth/refresh")
        assert "auditor" in (await client.get("/me")).json()["roles"]
        ended = await client.post(
            f"/api/v1/admin/memberships/{regranted.json()['id']}/revoke",
            params={"end_sessions": "true"},
            headers=admin,
        )
        assert ended.status_code == 200
        assert (await client.get("/me")).status_code == 401

        actions = [(c["action"], c["person"]) for c in (await _trail(client, admin))["changes"][:4]]
        assert actions == [
            ("membership.revoke", me["sub"]),
            ("membership.grant", me["sub"]),
            ("membership.revoke", me["sub"]),
            ("membership.grant", me["sub"]),
        ]


async def test_an_invitation_link_works_once_for_whoever_opens_it_signed_in(
    app: Litestar, people: People
) -> None:
    admin = _admin(people)
    async with AsyncTestClient(app) as client:
        made = await client.post(
            "/api/v1/admin/invitations",
            json={"role": "official", "organisation": "tobolsk-city", "permissions": ["respond"]},
            headers=admin,
        )
        assert made.status_code == 201, made.text
        url = made.json()["url"]
        assert url.startswith("https://polls.vmeste.test/invitations/")
        token = url.rsplit("/", 1)[-1]
        # The list never shows the link.
        listed = await client.get("/api/v1/admin/invitations", headers=admin)
        assert token not in listed.text
        assert listed.json()["invitations"][0]["state"] == "pending"

        untrusted = await client.post(
            f"/api/v1/invitations/{token}/accept", headers=people.citizen(trusted=False)
        )
        assert untrusted.status_code == 403
        me = await sign_in(client, "citizen-tyumen")
        accepted = await client.post(
            f"/api/v1/invitations/{token}/accept",
            headers={"X-CSRF-Token": await _csrf(client)},
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["sub"] == me["sub"]
        await client.post("/auth/refresh")
        assert (await client.get("/me")).json()["organisations"][0]["org"] == "tobolsk-city"

        second = await client.post(
            f"/api/v1/invitations/{token}/accept", headers=people.citizen(sub=secrets.token_hex(32))
        )
        assert second.status_code == 409
        assert second.json()["type"].endswith("/invitation-used")
        unknown = await client.post("/api/v1/invitations/nothing/accept", headers=people.citizen())
        assert unknown.status_code == 404

        # Expired and withdrawn links grant nothing.
        stale = await client.post(
            "/api/v1/admin/invitations", json={"role": "auditor"}, headers=admin
        )
        stale_token = stale.json()["url"].rsplit("/", 1)[-1]
    # Written while the app is stopped: its connection pool belongs to the app's own loop.
    await Invitation.update(
        {Invitation.expires_at: dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)}
    ).where(Invitation._meta.primary_key == stale.json()["invitation"]["id"])
    async with AsyncTestClient(app) as client:
        late = await client.post(
            f"/api/v1/invitations/{stale_token}/accept", headers=people.citizen()
        )
        assert late.status_code == 409
        assert late.json()["type"].endswith("/invitation-expired")
        gone = await client.post(
            "/api/v1/admin/invitations", json={"role": "auditor"}, headers=admin
        )
        withdrawn = await client.post(
            f"/api/v1/admin/invitations/{gone.json()['invitation']['id']}/withdraw", headers=admin
        )
        assert withdrawn.json()["state"] == "withdrawn"
        gone_token = gone.json()["url"].rsplit("/", 1)[-1]
        refused = await client.post(
            f"/api/v1/invitations/{gone_token}/accept", headers=people.citizen()
        )
        assert refused.json()["type"].endswith("/invitation-withdrawn")

        trail = (await _trail(client, admin))["changes"]
        actions = [c["action"] for c in trail]
        assert actions[:2] == ["invitation.withdraw", "invitation.create"]
        accept = next(c for c in trail if c["action"] == "invitation.accept")
        assert accept["actor"] == me["sub"]
        grant = next(c for c in trail if c["action"] == "membership.grant")
        assert grant["after"] == {
            "role": "official",
            "organisation": "tobolsk-city",
            "permissions": ["respond"],
        }
        assert token not in str(trail)


async def _csrf(client: httpx.AsyncClient) -> str:
    home = await client.get("/", headers=PAGE)
    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', home.text)
    assert found is not None
    return found.group(1)


async def _form(client: httpx.AsyncClient, url: str, **fields: Any) -> httpx.Response:
    return await client.post(
        url, data={CSRF_FIELD: await _csrf(client), **fields}, headers=PAGE, follow_redirects=False
    )


async def test_the_registry_pages_serve_admins_in_both_languages_and_refuse_everyone_else(
    app: Litestar, people: People
) -> None:
    await _name_municipalities()
    async with AsyncTestClient(app) as client:
        anonymous = await client.get("/admin", headers=PAGE, follow_redirects=False)
        assert anonymous.status_code == 303
        assert anonymous.headers["location"].startswith("/auth/login")
        citizen = await client.get("/admin", headers={**PAGE, **people.citizen()})
        assert citizen.status_code == 403
        assert "text/html" in citizen.headers["content-type"]
        auditor_page = await client.get("/admin/trail", headers={**PAGE, **people.auditor()})
        assert auditor_page.status_code == 200

        await sign_in(client, "admin")
        home = await client.get("/admin", headers=PAGE)
        assert home.status_code == 200, home.text
        assert "Реестр организаций" in home.text
        assert 'polls.vmeste.test/admin"' in home.text  # the header link, for admins only
        english = await client.get("/admin", headers=PAGE, params={"lang": "en"})
        assert "Registry of organisations" in english.text

        refused = await _form(
            client, "/admin/organisations", slug="ishim-city", name="Ишим", territory="Ишим"
        )
        assert refused.status_code == 422
        assert "8- or 11-digit OKTMO" in refused.text
        made = await _form(
            client,
            "/admin/organisations",
            slug="ishim-city",
            name="Администрация города Ишима",
            territory="71705000",
            embed_origins="https://ishim.ru",
        )
        assert made.status_code == 303
        assert made.headers["location"] == "/admin/organisations/ishim-city"
        page = await client.get("/admin/organisations/ishim-city", headers=PAGE)
        assert "г.о. город Ишим" in page.text
        found = await client.get(
            "/admin/organisations/ishim-city", headers=PAGE, params={"q": "Тобольск"}
        )
        assert 'data-found-oktmo="71710000"' in found.text
        assert 'data-found-oktmo="71705000"' not in found.text
        edited = await _form(
            client,
            "/admin/organisations/ishim-city",
            name="Администрация города Ишима",
            territory="71705000\n71710000",
            embed_origins="https://ishim.ru\nhttps://admtobolsk.ru",
        )
        assert edited.status_code == 303
        org = (await client.get("/api/v1/admin/organisations/ishim-city")).json()
        assert [t["oktmo"] for t in org["territory"]] == ["71705000", "71710000"]
        assert org["embed_origins"] == ["https://ishim.ru", "https://admtobolsk.ru"]

        sub = secrets.token_hex(32)
        granted = await client.post(
            "/admin/memberships",
            data={
                CSRF_FIELD: await _csrf(client),
                "sub": sub,
                "role": "official",
                "organisation": "ishim-city",
                "permissions": ["moderate", "respond"],
            },
            headers=PAGE,
            follow_redirects=False,
        )
        assert granted.status_code == 303
        [member] = (await client.get("/api/v1/admin/memberships", params={"sub": sub})).json()[
            "memberships"
        ]
        assert member["permissions"] == ["moderate", "respond"]
        revoked = await _form(client, f"/admin/memberships/{member['id']}/revoke")
        assert revoked.status_code == 303
        assert not (await client.get("/api/v1/admin/memberships", params={"sub": sub})).json()[
            "memberships"
        ]

        invited = await _form(
            client,
            "/admin/invitations",
            role="official",
            organisation="ishim-city",
            permissions="respond",
            hours="24",
        )
        assert invited.status_code == 200
        link = re.search(r'value="(https://polls\.vmeste\.test/invitations/[^"]+)"', invited.text)
        assert link is not None
        [pending] = (
            await client.get("/api/v1/admin/invitations", params={"organisation": "ishim-city"})
        ).json()["invitations"]
        withdrawn = await _form(client, f"/admin/invitations/{pending['id']}/withdraw")
        assert withdrawn.status_code == 303
        assert withdrawn.headers["location"] == "/admin/organisations/ishim-city?withdrawn=1"
        token = link.group(1).rsplit("/", 1)[-1]
        refused = await client.post(f"/api/v1/invitations/{token}/accept", headers=people.citizen())
        assert refused.json()["type"].endswith("/invitation-withdrawn")

        trail = await client.get("/admin/trail", headers=PAGE, params={"lang": "en"})
        assert trail.status_code == 200
        assert "Role revoked" in trail.text
        assert "Organisation changed" in trail.text


async def test_the_trail_is_paged_newest_first_and_bounded(app: Litestar, people: People) -> None:
    admin = _admin(people)
    async with AsyncTestClient(app) as client:
        for n in range(5):
            await client.post(
                "/api/v1/admin/memberships",
                json={"sub": f"{n:064x}", "role": "auditor"},
                headers=admin,
            )
        first = await _trail(client, admin, limit=2)
        assert [c["person"] for c in first["changes"]] == [f"{4:064x}", f"{3:064x}"]
        second = await _trail(client, admin, limit=2, before=first["next_before"])
        assert [c["person"] for c in second["changes"]] == [f"{2:064x}", f"{1:064x}"]
        too_many = await client.get("/api/v1/admin/trail", params={"limit": 101}, headers=admin)
        assert too_many.status_code == 400


async def test_of_two_people_accepting_one_link_at_once_exactly_one_is_granted(
    app: Litestar, people: People
) -> None:
    admin = _admin(people)
    subs = [secrets.token_hex(32), secrets.token_hex(32)]
    async with AsyncTestClient(app) as client:
        made = await client.post(
            "/api/v1/admin/invitations", json={"role": "auditor"}, headers=admin
        )
        token = made.json()["url"].rsplit("/", 1)[-1]
        answers = await asyncio.gather(
            *(
                client.post(f"/api/v1/invitations/{token}/accept", headers=people.citizen(sub=sub))
                for sub in subs
            )
        )
        assert sorted(a.status_code for a in answers) == [200, 409]
        holders = [
            sub
            for sub in subs
            if (
                await client.get("/api/v1/admin/memberships", params={"sub": sub}, headers=admin)
            ).json()["memberships"]
        ]
        assert len(holders) == 1
        # The pages and the trail name people by pseudonym only, never by ESIA oid.
        await sign_in(client, "admin")
        trail = await client.get("/admin/trail", headers=PAGE)
        assert holders[0] in trail.text
        assert "dev-" not in trail.text
