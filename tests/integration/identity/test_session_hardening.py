"""Sessions against a thief and a hostile sibling site: a copied refresh cookie ends the
session, sign-out everywhere ends every session of the person, API writes authenticated by the
cookie need the session's CSRF token, and production cookies are ``__Host-`` cookies."""

from __future__ import annotations

import re

import jwt
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.integration.identity.conftest import AppFactory
from tests.integration.identity.test_sign_in import assert_problem, identity_of, sign_in

Client = AsyncTestClient[Litestar]


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _sid(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sid"])


async def test_a_rotated_refresh_cookie_presented_again_ends_the_whole_session(
    make_app: AppFactory,
) -> None:
    async with AsyncTestClient(make_app()) as client:
        first = await sign_in(client, "citizen-tyumen")
        stolen = client.cookies.get("vmeste_refresh")
        renewed = await client.post("/auth/refresh")
        assert renewed.status_code == 200
        current_token = renewed.json()["token"]
        current_refresh = client.cookies.get("vmeste_refresh")
        assert current_refresh != stolen

        # The thief replays the copy they took before the rotation.
        client.cookies.set("vmeste_refresh", stolen or "", path="/")
        body = assert_problem(await client.post("/auth/refresh"), 401)
        assert "already used once" in body["detail"]

        # Every token and the current refresh cookie of that session are dead now.
        for token in (first, current_token):
            refused = assert_problem(await client.get("/me", headers=_bearer(token)), 401)
            assert "signed out" in refused["detail"]
        client.cookies.set("vmeste_refresh", current_refresh or "", path="/")
        assert_problem(await client.post("/auth/refresh"), 401)


async def test_a_forged_secret_for_a_known_session_ends_nothing(make_app: AppFactory) -> None:
    """Only a secret that really was rotated away counts as a copy: knowing the session id
    (it is in every token) does not let anyone sign a person out."""
    async with AsyncTestClient(make_app()) as client:
        token = await sign_in(client, "citizen-tyumen")
        genuine = client.cookies.get("vmeste_refresh")
        client.cookies.set("vmeste_refresh", f"{_sid(token)}.forged-secret", path="/")
        body = assert_problem(await client.post("/auth/refresh"), 401)
        assert "unknown" in body["detail"]
        assert (await client.get("/me", headers=_bearer(token))).status_code == 200
        client.cookies.set("vmeste_refresh", genuine or "", path="/")
        assert (await client.post("/auth/refresh")).status_code == 200


async def test_sign_out_everywhere_ends_every_session_of_the_person_only(
    make_app: AppFactory,
) -> None:
    async with AsyncTestClient(make_app()) as client:
        # One browser per sign-in: each keeps its own cookies.
        other = await sign_in(client, "official-tobolsk")
        client.cookies.clear()
        on_laptop = await sign_in(client, "citizen-tyumen")
        laptop_refresh = client.cookies.get("vmeste_refresh")
        client.cookies.clear()
        on_phone = await sign_in(client, "citizen-tyumen")
        assert _sid(on_phone) != _sid(on_laptop)

        client.cookies.clear()
        out = await client.post("/auth/logout/everywhere", headers=_bearer(on_phone))
        assert out.status_code == 200, out.text
        assert out.json() == {"sessions": 2}

        for token in (on_phone, on_laptop):
            assert_problem(await client.get("/me", headers=_bearer(token)), 401)
        # The laptop's refresh cookie cannot bring its session back.
        client.cookies.set("vmeste_refresh", laptop_refresh or "", path="/")
        assert_problem(await client.post("/auth/refresh"), 401)
        client.cookies.clear()
        assert (await client.get("/me", headers=_bearer(other))).status_code == 200


async def test_sign_out_everywhere_by_cookie_needs_the_session_csrf_token(
    make_app: AppFactory,
) -> None:
    app = make_app()
    async with AsyncTestClient(app) as client:
        token = await sign_in(client, "citizen-tyumen")
        forged = await client.post("/auth/logout/everywhere", data={"csrf_token": "A" * 43})
        assert_problem(forged, 403)
        non_ascii = await client.post("/auth/logout/everywhere", data={"csrf_token": "ключ"})
        assert_problem(non_ascii, 403)
        assert (await client.get("/me")).status_code == 200

        page_token = identity_of(app).csrf.for_session(_sid(token))
        out = await client.post(
            "/auth/logout/everywhere",
            params={"next": "/"},
            data={"csrf_token": page_token},
            follow_redirects=False,
        )
        assert out.status_code == 303
        assert not client.cookies.get("vmeste_session")
        assert_problem(await client.get("/me", headers=_bearer(token)), 401)


async def test_sign_out_everywhere_without_a_session_is_401(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        assert_problem(await client.post("/auth/logout/everywhere"), 401)


async def test_an_api_write_authenticated_by_cookie_needs_the_csrf_header(
    make_app: AppFactory,
) -> None:
    """What a sibling site's form or fetch could send carries the cookie but not the token."""
    app = make_app()
    async with AsyncTestClient(app) as client:
        token = await sign_in(client, "citizen-tyumen")
        sub = (await client.get("/me")).json()["sub"]

        refused = assert_problem(await client.post("/api/v1/whoami"), 401)
        assert "X-CSRF-Token" in refused["detail"]
        as_form = await client.post(
            "/api/v1/whoami",
            content=b"{}",
            headers={"content-type": "text/plain"},
        )
        assert_problem(as_form, 401)
        other_session = identity_of(app).csrf.for_session("another-session")
        assert_problem(
            await client.post("/api/v1/whoami", headers={"X-CSRF-Token": other_session}), 401
        )

        page_token = identity_of(app).csrf.for_session(_sid(token))
        with_token = await client.post("/api/v1/whoami", headers={"X-CSRF-Token": page_token})
        assert with_token.status_code == 200
        assert with_token.json() == {"sub": sub}

        client.cookies.clear()
        by_bearer = await client.post("/api/v1/whoami", headers=_bearer(token))
        assert by_bearer.status_code == 200


async def test_production_cookies_are_host_cookies(make_app: AppFactory) -> None:
    """Secure, Path=/, no Domain and the ``__Host-`` prefix: a browser then refuses the same
    name from a sibling subdomain. Sign-in, API use and sign-out work under those names."""
    app = make_app(secure_cookies=True)
    async with AsyncTestClient(app, base_url="https://testserver.local") as client:
        start = await client.get("/auth/login", follow_redirects=False)
        flow = start.headers.get_list("set-cookie")
        assert flow
        assert all(c.startswith("__Host-") for c in flow)
        token = await sign_in_secure(client)
        cookies = {c.name for c in client.cookies.jar}
        assert {"__Host-vmeste_session", "__Host-vmeste_refresh"} <= cookies
        assert not {"vmeste_session", "vmeste_refresh"} & cookies
        for cookie in client.cookies.jar:
            assert cookie.secure
            assert cookie.path == "/"
            assert not cookie.domain_specified

        assert (await client.get("/me")).status_code == 200
        # A cookie under the development name is not a session in production.
        kept = {c.name: c.value for c in client.cookies.jar if c.value is not None}
        client.cookies.clear()
        client.cookies.set("vmeste_session", token, path="/")
        assert_problem(await client.get("/me"), 401)
        client.cookies.clear()
        for name, value in kept.items():
            client.cookies.set(name, value, path="/")

        assert (await client.post("/auth/refresh")).status_code == 200
        out = await client.post("/auth/logout")
        assert out.status_code == 204
        deleted = [c for c in out.headers.get_list("set-cookie") if "Max-Age=0" in c]
        assert {c.split("=", 1)[0] for c in deleted} == {
            "__Host-vmeste_session",
            "__Host-vmeste_refresh",
        }


async def sign_in_secure(client: Client) -> str:
    """:func:`sign_in` under production cookie names."""
    start = await client.get("/auth/login", params={"next": "/me"}, follow_redirects=False)
    page = await client.get(start.headers["location"])
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state is not None
    done = await client.get(
        "/auth/callback",
        params={"code": "citizen-tyumen", "state": state.group(1)},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    token = client.cookies.get("__Host-vmeste_session")
    assert token
    return token
