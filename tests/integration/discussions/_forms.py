"""Sending a page form as a browser does: with the session's CSRF token, read from a page."""

from __future__ import annotations

import re

import httpx

from shared.web.ui.csrf import CSRF_FIELD

__all__ = ("PAGE", "comment_ids", "csrf_token_of", "send_form")

PAGE = {"Accept": "text/html"}


async def csrf_token_of(client: httpx.AsyncClient, who: dict[str, str]) -> str:
    """The CSRF token the pages render for the session ``who`` signs in with."""
    home = await client.get("/", headers={**who, **PAGE})
    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', home.text)
    assert found is not None
    assert found.group(1), "a signed-in page carries its session's token"
    return found.group(1)


async def send_form(
    client: httpx.AsyncClient, url: str, who: dict[str, str], **fields: str
) -> httpx.Response:
    token = await csrf_token_of(client, who)
    return await client.post(
        url, data={CSRF_FIELD: token, **fields}, headers={**who, **PAGE}, follow_redirects=False
    )


def comment_ids(html: str) -> list[str]:
    """Ids of the comments a page shows, in page order."""
    return re.findall(r'data-comment="([0-9a-f-]{36})"', html)
