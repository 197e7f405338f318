"""Sign in through the development provider as a browser would: login, the fixture page,
the callback."""

from __future__ import annotations

import re

import httpx

__all__ = ("sign_in",)


async def sign_in(client: httpx.AsyncClient, who: str, next_path: str = "/me") -> str:
    """Sign ``who`` (a fixture person's code) in; the session token, also left in the
    client's cookies."""
    start = await client.get("/auth/login", params={"next": next_path}, follow_redirects=False)
    assert start.status_code == 303, start.text
    page = await client.get(start.headers["location"])
    assert page.status_code == 200, page.text
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state is not None
    done = await client.get(
        "/auth/callback", params={"code": who, "state": state.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    token = client.cookies.get("vmeste_session")
    assert token
    return token
