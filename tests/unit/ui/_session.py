"""A stand-in for sign-in in apps built from the page parts alone: a request with the header
``x-test-sid`` is signed in as a citizen with that session id, and the app holds the CSRF
tokens the identity components would give it."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from shared.identity.claims import Session
from shared.identity.csrf import CsrfTokens

TOKENS = CsrfTokens(b"k" * 32)
STATE: dict[str, Any] = {"identity": SimpleNamespace(csrf=TOKENS)}


def session_of(sid: str) -> Session:
    return Session(
        sub="s" * 64,
        trusted=True,
        birth_date=dt.date(1990, 1, 1),
        oktmo="71701000",
        region="72",
        roles=("citizen",),
        sid=sid,
        jti="j",
        iat=0,
        exp=2**31,
    )


class SignedIn(ASGIMiddleware):
    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        sid = dict(scope["headers"]).get(b"x-test-sid")
        scope["user"] = session_of(sid.decode()) if sid else None
        await next_app(scope, receive, send)
