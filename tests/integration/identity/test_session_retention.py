"""The identity database keeps a sign-in session only as long as it is needed: the person's
attributes until the refresh cookie expires or the person signs out, a bare revocation until
no token of the session can be valid any more, then nothing. Sign-in time is to the minute."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import jwt
import pytest
from litestar import Litestar
from redis.asyncio import Redis

from shared.identity.service import IdentityService
from shared.identity.tables import RefreshToken
from tests.harness.asgi import app_client
from tests.harness.sign_in import sign_in
from tests.integration.identity.conftest import AppFactory

DOWN = "redis://127.0.0.1:1/0"
"""A Redis URL nobody answers at: revocations are then the database's word alone."""


def _identity(app: Litestar) -> IdentityService:
    service = app.state.identity
    assert isinstance(service, IdentityService)
    return service


def _sid(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sid"])


async def _row(sid: str) -> dict[str, Any] | None:
    return await RefreshToken.select().where(RefreshToken.session_id == sid).first()


async def _age(sid: str, **columns: dt.timedelta) -> None:
    """Move the named time columns of a row into the past, as if time had passed."""
    row = await _row(sid)
    assert row is not None
    await RefreshToken.update(
        {getattr(RefreshToken, name): row[name] - by for name, by in columns.items()}
    ).where(RefreshToken.session_id == sid)


def _me(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_sign_in_time_is_kept_to_the_minute(make_app: AppFactory) -> None:
    app = make_app()
    async with app_client(app) as client:
        token = await sign_in(client, "citizen-tyumen")
        row = await _row(_sid(token))
    assert row is not None
    assert row["created_at"].second == 0
    assert row["created_at"].microsecond == 0
    # The expiry is counted from the same minute, so it gives the second away no more.
    assert row["expires_at"] - row["created_at"] == dt.timedelta(hours=12)


async def test_cleanup_deletes_expired_sessions_and_keeps_live_ones(make_app: AppFactory) -> None:
    app = make_app()
    async with app_client(app) as client:
        old = _sid(await sign_in(client, "citizen-tyumen"))
        client.cookies.clear()
        live = _sid(await sign_in(client, "unconfirmed-tobolsk"))
        await _age(old, created_at=dt.timedelta(hours=13), expires_at=dt.timedelta(hours=13))
        await _identity(app).sessions.delete_expired()
        assert await _row(old) is None
        assert await _row(live) is not None


async def test_the_running_app_deletes_expired_sessions_by_itself(make_app: AppFactory) -> None:
    app = make_app(cleanup_interval_s=0.05)
    async with app_client(app) as client:
        sid = _sid(await sign_in(client, "citizen-tyumen"))
        await _age(sid, expires_at=dt.timedelta(hours=13))
        for _ in range(100):
            if await _row(sid) is None:
                break
            await asyncio.sleep(0.05)
        assert await _row(sid) is None


async def test_sign_out_leaves_nothing_about_the_person(make_app: AppFactory) -> None:
    app = make_app()
    async with app_client(app) as client:
        token = await sign_in(client, "citizen-tyumen")
        sub = (await client.get("/me")).json()["sub"]
        assert (await client.post("/auth/logout")).status_code == 204
        row = await _row(_sid(token))
        assert row is not None
        assert row["revoked_at"] is not None
        assert row["sub"] == ""
        assert row["token_hash"] == ""
        assert row["oktmo"] == ""
        assert row["region"] == ""
        assert row["trusted"] is False
        assert row["birth_date"] == dt.date.min
        assert row["expires_at"] <= row["revoked_at"]
        assert not await RefreshToken.exists().where(RefreshToken.sub == sub)


@pytest.mark.parametrize("redis_url_override", [None, DOWN])
async def test_a_revocation_outlives_cleanup_until_its_tokens_expire(
    make_app: AppFactory, redis_url_override: str | None
) -> None:
    app = make_app(**({"VMESTE_REDIS_URL": redis_url_override} if redis_url_override else {}))
    async with app_client(app) as client:
        token = await sign_in(client, "citizen-tyumen")
        assert (await client.post("/auth/logout")).status_code == 204
        await _identity(app).sessions.delete_expired()
        # The token would still be within its 15 minutes: the revocation must stay.
        assert await _row(_sid(token)) is not None
        assert (await client.get("/me", headers=_me(token))).status_code == 401
        # Once every token of the session has expired, the revocation goes too.
        await _age(_sid(token), revoked_at=dt.timedelta(minutes=17))
        await _identity(app).sessions.delete_expired()
        assert await _row(_sid(token)) is None


async def test_sign_out_after_the_row_was_cleaned_up_still_revokes_the_token(
    make_app: AppFactory, redis_url: str
) -> None:
    app = make_app()
    async with app_client(app) as client:
        token = await sign_in(client, "citizen-tyumen")
        sid = _sid(token)
        await _age(sid, expires_at=dt.timedelta(hours=13))
        await _identity(app).sessions.delete_expired()
        assert await _row(sid) is None
        # Its last token is still valid (it was issued before the refresh cookie expired).
        assert (await client.get("/me", headers=_me(token))).status_code == 200
        client.cookies.clear()
        assert (await client.post("/auth/logout", headers=_me(token))).status_code == 204
        row = await _row(sid)
        assert row is not None
        assert row["revoked_at"] is not None
        assert row["sub"] == ""
        # The database alone refuses it: Redis lost its data.
        async with Redis.from_url(redis_url) as redis:
            await redis.delete(
                f"vmeste:identity:revoked:{sid}", "vmeste:identity:revocations-loaded"
            )
        assert (await client.get("/me", headers=_me(token))).status_code == 401
