"""The whole ESIA sign-in through a service app: login redirect, callback, /me."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.harness.logs import captured_logs
from tests.integration.identity.conftest import AppFactory
from tests.integration.identity.fake_esia import (
    CLIENT_ID,
    MOSCOW_FIAS,
    TYUMEN_FIAS,
    Account,
    FakeEsia,
    running_fake_esia,
)


@pytest.fixture(scope="module")
def esia() -> Iterator[FakeEsia]:
    accounts = {
        "code-anna": Account("1000299654", True, "17.05.1990", TYUMEN_FIAS),
        "code-moscow": Account("1000299657", True, "03.04.1970", MOSCOW_FIAS),
    }
    with running_fake_esia(accounts) as fake:
        yield fake


@pytest.fixture
def esia_environ(esia: FakeEsia, tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "esia.pem"
    key.write_text(esia.public_key_pem)
    return {
        "VMESTE_ESIA_BASE_URL": esia.base_url,
        "VMESTE_ESIA_CLIENT_ID": CLIENT_ID,
        "VMESTE_ESIA_SIGNER_URL": esia.signer_url,
        "VMESTE_ESIA_ID_TOKEN_KEY_FILE": str(key),
    }


async def _callback_url(client: AsyncTestClient[Litestar], esia: FakeEsia) -> dict[str, str]:
    start = await client.get("/auth/login", params={"next": "/me"}, follow_redirects=False)
    assert start.status_code == 303
    target = urlsplit(start.headers["location"])
    assert start.headers["location"].startswith(f"{esia.base_url}/aas/oauth2/v2/ac?")
    return {k: v[0] for k, v in parse_qs(target.query).items()}


async def test_esia_sign_in_gives_a_pseudonymous_session(
    make_app: AppFactory, esia: FakeEsia, esia_environ: dict[str, str]
) -> None:
    app = make_app(environ=esia_environ, VMESTE_IDENTITY_PROVIDER="esia")
    async with AsyncTestClient(app) as client:
        query = await _callback_url(client, esia)
        assert query["redirect_uri"] == "http://localhost:8001/auth/callback"
        done = await client.get(
            "/auth/callback",
            params={"code": "code-anna", "state": query["state"]},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
        me = (await client.get("/me")).json()
        assert me["sub"] == app.state.identity.subject("1000299654")
        assert me["trusted"] is True
        assert me["oktmo"] == "71701000"
        assert me["birth_date"] == "1990-05-17"
        assert (await client.get("/auth/dev", params={"state": "x"})).status_code == 404


async def test_sign_in_logs_no_oid_subject_or_address(
    make_app: AppFactory, esia: FakeEsia, esia_environ: dict[str, str]
) -> None:
    # ESIA's person URLs carry the oid: an HTTP client logging its requests would publish
    # who signed in when.
    app = make_app(environ=esia_environ, VMESTE_IDENTITY_PROVIDER="esia")
    with captured_logs() as logs:
        async with AsyncTestClient(app) as client:
            query = await _callback_url(client, esia)
            done = await client.get(
                "/auth/callback",
                params={"code": "code-anna", "state": query["state"]},
                headers={"X-Forwarded-For": "198.51.100.23"},
                follow_redirects=False,
            )
            assert done.status_code == 303, done.text
            sub = (await client.get("/me")).json()["sub"]
            assert (await client.post("/auth/logout")).status_code == 204
    text = "\n".join(logs)
    for needle in ("1000299654", sub, sub[:16], "198.51.100.23", "testclient"):
        assert needle not in text


async def test_esia_address_outside_the_territory_gets_403_problem(
    make_app: AppFactory, esia: FakeEsia, esia_environ: dict[str, str]
) -> None:
    app = make_app(environ=esia_environ, VMESTE_IDENTITY_PROVIDER="esia")
    async with AsyncTestClient(app) as client:
        query = await _callback_url(client, esia)
        done = await client.get(
            "/auth/callback", params={"code": "code-moscow", "state": query["state"]}
        )
        assert done.status_code == 403
        assert done.headers["content-type"].startswith("application/problem+json")
        assert done.json()["type"].endswith("/territory-not-served")


async def test_signer_down_gives_503_with_retry_after(
    make_app: AppFactory, esia: FakeEsia, esia_environ: dict[str, str]
) -> None:
    app = make_app(environ=esia_environ, VMESTE_IDENTITY_PROVIDER="esia")
    esia.signer_down = True
    try:
        async with AsyncTestClient(app) as client:
            response = await client.get("/auth/login", follow_redirects=False)
            assert response.status_code == 503
            assert response.headers["retry-after"] == "30"
    finally:
        esia.signer_down = False
