"""Sign-in through the development provider, with real Litestar apps, Redis and database."""

from __future__ import annotations

import base64
import datetime as dt
import re
import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import AsyncTestClient
from redis.asyncio import Redis

from shared.identity.keys import SessionKeyRing
from shared.identity.registry import grant
from shared.identity.service import IdentityService
from shared.identity.tokens import SessionClaims, TokenService
from tests.integration.identity.conftest import AppFactory

Client = AsyncTestClient[Litestar]


async def sign_in(client: Client, who: str, next_path: str = "/me") -> str:
    """Go through login → development page → callback, as a browser would; the token."""
    start = await client.get("/auth/login", params={"next": next_path}, follow_redirects=False)
    assert start.status_code == 303
    page = await client.get(start.headers["location"])
    assert page.status_code == 200
    assert f'value="{who}"' in page.text
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state is not None
    done = await client.get(
        "/auth/callback", params={"code": who, "state": state.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == next_path
    token = client.cookies.get("vmeste_session")
    assert token
    return token


def identity_of(app: Litestar) -> IdentityService:
    service = app.state.identity
    assert isinstance(service, IdentityService)
    return service


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


async def test_citizen_signs_in_and_me_shows_the_pseudonymous_session(make_app: AppFactory) -> None:
    app = make_app()
    async with AsyncTestClient(app) as client:
        await sign_in(client, "citizen-tyumen")
        me = await client.get("/me")
        assert me.status_code == 200
        body = me.json()
        assert body["sub"] == identity_of(app).subject("dev-citizen-tyumen")
        assert "dev-citizen-tyumen" not in me.text
        assert body["trusted"] is True
        assert body["oktmo"] == "71701000"
        assert body["region"] == "72"
        assert body["roles"] == ["citizen"]
        assert body["organisations"] == []
        assert "expires_at" in body


async def test_cookies_are_httponly_lax_and_on_path_root(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        start = await client.get("/auth/login", follow_redirects=False)
        state = start.headers["location"].split("state=")[1]
        done = await client.get(
            "/auth/callback",
            params={"code": "citizen-tyumen", "state": state},
            follow_redirects=False,
        )
        cookies = done.headers.get_list("set-cookie")
        session = next(c for c in cookies if c.startswith("vmeste_session="))
        refresh = next(c for c in cookies if c.startswith("vmeste_refresh="))
        for cookie in (session, refresh):
            assert "HttpOnly" in cookie
            assert "SameSite=lax" in cookie or "SameSite=Lax" in cookie
            assert "Path=/;" in cookie + ";"
            assert "Domain" not in cookie


async def test_unconfirmed_account_is_not_trusted(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        await sign_in(client, "unconfirmed-tobolsk")
        body = (await client.get("/me")).json()
        assert body["trusted"] is False
        assert body["oktmo"] == "71710000"


async def test_official_session_carries_organisation_permissions(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        await sign_in(client, "official-tobolsk")
        body = (await client.get("/me")).json()
        assert body["roles"] == ["citizen", "official"]
        [org] = body["organisations"]
        assert org["org"] == "tobolsk-city"
        assert org["territory"] == ["71710000"]
        assert set(org["permissions"]) == {
            "polls:manage",
            "discussions:manage",
            "moderate",
            "respond",
        }
        allowed = await client.get("/official/polls")
        assert allowed.status_code == 200
        assert allowed.json() == {"orgs": ["tobolsk-city"]}


async def test_citizen_calling_an_official_endpoint_gets_403(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        await sign_in(client, "citizen-tyumen")
        body = assert_problem(await client.get("/official/polls"), 403)
        assert "polls:manage" in body["detail"]
        assert_problem(await client.get("/audit"), 403)


async def test_moderator_without_polls_permission_gets_403(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        await sign_in(client, "moderator-tyumen")
        assert_problem(await client.get("/official/polls"), 403)


async def test_auditor_reaches_the_auditor_route(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        await sign_in(client, "auditor")
        assert (await client.get("/audit")).status_code == 200
        assert (await client.get("/me")).json()["roles"] == ["citizen", "auditor"]


async def test_admin_has_the_admin_role(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        await sign_in(client, "admin")
        assert (await client.get("/me")).json()["roles"] == ["citizen", "admin"]


async def test_the_other_service_accepts_the_same_token_as_bearer(make_app: AppFactory) -> None:
    # Two apps in one process: the second shares the identity tables unpooled.
    polls, discussions = make_app("polls"), make_app("discussions", pooled=False)
    async with AsyncTestClient(polls) as first, AsyncTestClient(discussions) as second:
        token = await sign_in(first, "elder-ishim")
        mine = (await first.get("/me")).json()
        theirs = await second.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert theirs.status_code == 200
        assert theirs.json() == mine


async def test_anonymous_routes_stay_anonymous(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        junk = {"Authorization": "Bearer not-a-token"}
        assert (await client.get("/health/live", headers=junk)).status_code == 200
        assert (await client.get("/health/ready")).status_code == 200
        public = await client.get("/public", headers=junk)
        assert public.status_code == 200
        assert public.json() == {"sub": None}
        body = assert_problem(await client.get("/me"), 401)
        assert "sign in" in body["detail"]
        assert_problem(await client.get("/me", headers=junk), 401)


async def test_refresh_issues_a_new_token_and_rotates_the_cookie(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        first = await sign_in(client, "citizen-tyumen")
        old_refresh = client.cookies.get("vmeste_refresh")
        renewed = await client.post("/auth/refresh")
        assert renewed.status_code == 200
        body = renewed.json()
        assert body["token_type"] == "Bearer"
        assert body["token"] != first
        assert client.cookies.get("vmeste_session") == body["token"]
        new_claims = jwt.decode(body["token"], options={"verify_signature": False})
        old_claims = jwt.decode(first, options={"verify_signature": False})
        assert new_claims["sid"] == old_claims["sid"]
        assert new_claims["sub"] == old_claims["sub"]
        assert new_claims["jti"] != old_claims["jti"]
        # A refresh cookie works once: the rotated-away value is refused.
        client.cookies.set("vmeste_refresh", old_refresh or "", path="/")
        assert_problem(await client.post("/auth/refresh"), 401)


async def test_refresh_picks_up_a_role_granted_meanwhile(make_app: AppFactory) -> None:
    # Unpooled: the test grants from its own event loop, not the app's.
    app = make_app(pooled=False)
    async with AsyncTestClient(app) as client:
        await sign_in(client, "citizen-tyumen")
        sub = (await client.get("/me")).json()["sub"]
        await grant(sub, "official", "tyumen-city", ["respond"])
        await client.post("/auth/refresh")
        body = (await client.get("/me")).json()
        assert body["roles"] == ["citizen", "official"]
        assert body["organisations"][0]["permissions"] == ["respond"]


async def test_without_refresh_cookie_refresh_is_refused(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        assert_problem(await client.post("/auth/refresh"), 401)


async def test_after_sign_out_the_token_is_refused_by_both_services(make_app: AppFactory) -> None:
    # Two apps in one process: the second shares the identity tables unpooled.
    polls, discussions = make_app("polls"), make_app("discussions", pooled=False)
    async with AsyncTestClient(polls) as first, AsyncTestClient(discussions) as second:
        token = await sign_in(first, "citizen-tyumen")
        out = await first.post("/auth/logout")
        assert out.status_code == 204
        assert not first.cookies.get("vmeste_session")
        bearer = {"Authorization": f"Bearer {token}"}
        for client in (first, second):
            body = assert_problem(await client.get("/me", headers=bearer), 401)
            assert "signed out" in body["detail"]
        assert_problem(await first.post("/auth/refresh"), 401)


async def test_sign_out_with_a_bearer_token_only(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        token = await sign_in(client, "citizen-tyumen")
        client.cookies.clear()
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await client.post("/auth/logout", headers=bearer)).status_code == 204
        assert_problem(await client.get("/me", headers=bearer), 401)


async def test_sign_out_deletes_every_receipt_cookie_and_nothing_else(
    make_app: AppFactory,
) -> None:
    async with AsyncTestClient(make_app()) as client:
        await sign_in(client, "citizen-tyumen")
        for name in ("vmeste_receipt_0a1b2c", "vmeste_receipt_3d4e5f", "vmeste_lang"):
            client.cookies.set(name, "kept-in-the-browser", domain="testserver.local", path="/")
        out = await client.post("/auth/logout", params={"next": "/"}, follow_redirects=False)
        assert out.status_code == 303
        deleted = {
            cookie.split("=", 1)[0]: cookie
            for cookie in out.headers.get_list("set-cookie")
            if "Max-Age=0" in cookie
        }
        assert set(deleted) == {
            "vmeste_session",
            "vmeste_refresh",
            "vmeste_receipt_0a1b2c",
            "vmeste_receipt_3d4e5f",
        }
        assert "Path=/;" in deleted["vmeste_receipt_0a1b2c"] + ";"
        assert client.cookies.get("vmeste_lang") == "kept-in-the-browser"
        assert not [c for c in client.cookies.jar if c.name.startswith("vmeste_receipt")]


async def test_sign_out_holds_when_redis_is_down(make_app: AppFactory) -> None:
    app = make_app(VMESTE_REDIS_URL="redis://127.0.0.1:1/0")
    async with AsyncTestClient(app) as client:
        token = await sign_in(client, "citizen-tyumen")
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await client.get("/me", headers=bearer)).status_code == 200
        assert (await client.post("/auth/logout")).status_code == 204
        assert_problem(await client.get("/me", headers=bearer), 401)


async def test_sign_out_holds_after_redis_lost_its_data(
    make_app: AppFactory, redis_url: str
) -> None:
    app = make_app()
    async with AsyncTestClient(app) as client:
        token = await sign_in(client, "citizen-tyumen")
        await client.post("/auth/logout")
        flusher = Redis.from_url(redis_url)
        try:
            sid = jwt.decode(token, options={"verify_signature": False})["sid"]
            await flusher.delete(
                f"vmeste:identity:revoked:{sid}", "vmeste:identity:revocations-loaded"
            )
        finally:
            await flusher.aclose()
        bearer = {"Authorization": f"Bearer {token}"}
        assert_problem(await client.get("/me", headers=bearer), 401)
        # ...and the set was rebuilt from the database, so the fast path knows again.
        assert_problem(await client.get("/me", headers=bearer), 401)


async def test_callback_with_a_foreign_state_is_refused(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        await client.get("/auth/login", follow_redirects=False)
        response = await client.get(
            "/auth/callback", params={"code": "admin", "state": "forged"}, follow_redirects=False
        )
        body = assert_problem(response, 400)
        assert body["type"].endswith("sign-in-state-mismatch")
        assert not client.cookies.get("vmeste_session")


async def test_login_never_redirects_off_site(make_app: AppFactory) -> None:
    async with AsyncTestClient(make_app()) as client:
        token = await sign_in(client, "citizen-tyumen", next_path="/")
        assert token
        start = await client.get(
            "/auth/login", params={"next": "//evil.example/x"}, follow_redirects=False
        )
        state = start.headers["location"].split("state=")[1]
        done = await client.get(
            "/auth/callback", params={"code": "admin", "state": state}, follow_redirects=False
        )
        assert done.headers["location"] == "/"


PLATFORM = {
    "VMESTE_POLLS_PUBLIC_URL": "https://vmeste.example.org/polls",
    "VMESTE_DISCUSSIONS_PUBLIC_URL": "https://vmeste.example.org/discussions",
}


async def _signed_in_next(client: Client, target: str) -> str:
    """Where sign-in sends the browser once done, when asked to go on to ``target``."""
    start = await client.get("/auth/login", params={"next": target}, follow_redirects=False)
    state = start.headers["location"].split("state=")[1]
    done = await client.get(
        "/auth/callback", params={"code": "citizen-tyumen", "state": state}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    return str(done.headers["location"])


@pytest.mark.parametrize(
    "target",
    [
        "https://vmeste.example.org/discussions/discussions/42?lang=en",
        "https://vmeste.example.org/discussions",
        "https://vmeste.example.org/polls/polls/7",
    ],
)
async def test_sign_in_goes_on_to_a_page_of_the_platforms_own_services(
    make_app: AppFactory, target: str
) -> None:
    # The verify-only service sends people here with its page's public URL as next.
    async with AsyncTestClient(make_app(**PLATFORM)) as client:
        assert await _signed_in_next(client, target) == target


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/discussions/1",
        "https://vmeste.example.org.evil.example/discussions/1",
        "https://vmeste.example.org/discussionsx/1",
        "https://vmeste.example.org/elsewhere",
        "https://vmeste.example.org@evil.example/discussions/1",
        "http://vmeste.example.org/discussions/1",
        "https:/\\evil.example/discussions/1",
        "https://vmeste.example.org/discussions/\t1",
        "/\\evil.example/x",
        "//evil.example/x",
        "javascript:alert(1)",
        "evil.example",
    ],
)
async def test_sign_in_never_goes_on_to_another_site(make_app: AppFactory, target: str) -> None:
    # Such a target is replaced by the sign-in service's home page as published (/polls/).
    async with AsyncTestClient(make_app(**PLATFORM)) as client:
        assert await _signed_in_next(client, target) == "/polls/"
        out = await client.post("/auth/logout", params={"next": target}, follow_redirects=False)
        assert out.headers["location"] == "/polls/"


def _forge(app: Litestar, **changes: Any) -> str:
    """A token for a real session of ``app``'s key ring, with one thing wrong."""
    service = identity_of(app)
    keys: SessionKeyRing = changes.pop("keys", service.tokens.keys)
    tokens = TokenService(
        keys,
        lifetime=service.tokens.lifetime,
        audience=changes.pop("audience", service.tokens.audience),
    )
    claims = SessionClaims(
        sub="b" * 64,
        trusted=True,
        birth_date=dt.date(1980, 1, 1),
        oktmo="71701000",
        region="72",
        roles=("citizen",),
        orgs=(),
        sid="forged-sid",
    )
    token, _ = tokens.issue(claims, now=changes.pop("now", None))
    return token


@pytest.mark.parametrize("defect", ["expired", "audience", "other-key", "alg-none", "tampered"])
async def test_bad_tokens_get_401_problem_json(make_app: AppFactory, defect: str) -> None:
    app = make_app()
    async with AsyncTestClient(app) as client:
        good = _forge(app)
        assert (
            await client.get("/me", headers={"Authorization": f"Bearer {good}"})
        ).status_code == 200
        if defect == "expired":
            token = _forge(app, now=time.time() - 3600)
        elif defect == "audience":
            token = _forge(app, audience="another-platform")
        elif defect == "other-key":
            stranger = Ed25519PrivateKey.generate()
            kid = identity_of(app).tokens.keys.current_kid
            token = _forge(app, keys=SessionKeyRing(kid, stranger, {}))
        elif defect == "alg-none":
            header, payload, _ = good.split(".")
            none = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
            token = f"{none}.{payload}."
        else:
            header, payload, signature = good.split(".")
            token = f"{header}.{payload[:-2]}{'AA' if payload[-2:] != 'AA' else 'BB'}.{signature}"
        for credentials in (
            {"Authorization": f"Bearer {token}"},
            {"Cookie": f"vmeste_session={token}"},
        ):
            response = await client.get("/me", headers=credentials)
            body = assert_problem(response, 401)
            assert body["type"].endswith("/unauthenticated")
            assert "invalid_token" in response.headers["www-authenticate"]
