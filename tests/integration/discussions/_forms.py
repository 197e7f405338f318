"""Sending a page form as a browser does: the CSRF cookie and the same token in a field."""

from __future__ import annotations

import re

import httpx

from shared.web.ui.csrf import CSRF_COOKIE, CSRF_FIELD

__all__ = ("PAGE", "comment_ids", "send_form")

PAGE = {"Accept": "text/html"}
_TOKEN = "t" * 43


async def send_form(
    client: httpx.AsyncClient, url: str, who: dict[str, str], **fields: str
) -> httpx.Response:
    client.cookies.set(CSRF_COOKIE, _TOKEN)
    return await client.post(
        url, data={CSRF_FIELD: _TOKEN, **fields}, headers={**who, **PAGE}, follow_redirects=False
    )


def comment_ids(html: str) -> list[str]:
    """Ids of the comments a page shows, in page order."""
    return re.findall(r'data-comment="([0-9a-f-]{36})"', html)
