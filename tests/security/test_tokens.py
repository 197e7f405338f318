"""Session tokens that must not open a session, presented to the real apps: each is refused
with a 401 problem+json naming why, on both services, on the identity route and on an API
route of the service itself. A refused cookie on a page leaves the caller anonymous.

The token maths is unit-tested in ``tests/unit/identity/test_tokens.py``; this proves the
services wire it in front of their routes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import TestClient

from services.discussions.app import create_app as create_discussions
from services.discussions.settings import DiscussionsSettings
from services.polls.app import create_app as create_polls
from shared.config import Settings
from shared.identity.keys import SessionKeyRing, key_id
from shared.identity.middleware import SESSION_COOKIE
from shared.identity.tokens import SessionClaims, TokenService
from tests.security._people import People, Persona, bearer

PROBLEM = "application/problem+json"
SIGNED_IN_ROUTES = {
    "polls": ("/me", "/api/v1/polls"),
    "discussions": ("/me", "/api/v1/me/comments"),
}
"""Per service: routes that need a session; a refused token must not reach their handlers."""
PAGE_FOR_SIGNED_IN = {"polls": "/manage", "discussions": "/my/comments"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _segments(token: str) -> tuple[dict[str, Any], dict[str, Any], str]:
    header, payload, signature = token.split(".")
    decode: Callable[[str], Any] = lambda part: json.loads(  # noqa: E731
        base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
    )
    return decode(header), decode(payload), signature


def _join(header: dict[str, Any], payload: dict[str, Any], signature: str) -> str:
    return ".".join(
        (_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()), signature)
    )


class Forger:
    """Makes the bad tokens, starting from a genuine one of the services' key ring."""

    def __init__(self, people: People) -> None:
        self.people = people
        self.ring = people.minter.keys
        self.claims = people.claims(Persona.CITIZEN)
        assert self.claims is not None

    def genuine(self) -> str:
        assert self.claims is not None
        return self.people.minter.issue(self.claims)

    def _with(self, service: TokenService, claims: SessionClaims | None = None) -> str:
        assert self.claims is not None
        return service.issue(claims or self.claims)[0]

    def signed_by_another_key_under_our_key_id(self) -> str:
        other = Ed25519PrivateKey.generate()
        ring = SessionKeyRing(
            current_kid=self.ring.current_kid,
            signing_key=other,
            public_keys={self.ring.current_kid: other.public_key()},
        )
        return self._with(TokenService(ring, lifetime=dt.timedelta(hours=1)))

    def signed_by_an_unknown_key(self) -> str:
        other = Ed25519PrivateKey.generate()
        kid = key_id(other.public_key())
        ring = SessionKeyRing(
            current_kid=kid, signing_key=other, public_keys={kid: other.public_key()}
        )
        return self._with(TokenService(ring, lifetime=dt.timedelta(hours=1)))

    def expired(self) -> str:
        assert self.claims is not None
        service = TokenService(self.ring, lifetime=dt.timedelta(minutes=15))
        return service.issue(self.claims, now=time.time() - 3600)[0]

    def for_another_audience(self) -> str:
        return self._with(
            TokenService(self.ring, lifetime=dt.timedelta(hours=1), audience="someone-else")
        )

    def alg_none(self) -> str:
        header, payload, _ = _segments(self.genuine())
        return _join({**header, "alg": "none"}, payload, "")

    def hmac_keyed_with_the_public_key(self) -> str:
        header, payload, _ = _segments(self.genuine())
        public = self.ring.public_keys[self.ring.current_kid].public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        header = {**header, "alg": "HS256"}
        body = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(payload).encode())}"
        signature = hmac.new(public, body.encode(), hashlib.sha256).digest()
        return f"{body}.{_b64(signature)}"

    def tampered_payload(self) -> str:
        header, payload, signature = _segments(self.genuine())
        payload["roles"] = [*payload["roles"], "auditor", "admin"]
        return _join(header, payload, signature)

    def flipped_signature_bit(self) -> str:
        token = self.genuine()
        head, _, signature = token.rpartition(".")
        raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
        raw[0] ^= 0x01
        return f"{head}.{_b64(bytes(raw))}"

    def garbage(self) -> str:
        return "not-a-token"


BAD_TOKENS = [
    name
    for name in vars(Forger)
    if not name.startswith("_") and name not in ("genuine",) and callable(vars(Forger)[name])
]


def _app(service: str, settings: Settings, options: DiscussionsSettings) -> Litestar:
    return create_polls(settings) if service == "polls" else create_discussions(settings, options)


@pytest.fixture(params=["polls", "discussions"])
def service(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def client(
    service: str, settings: Settings, options: DiscussionsSettings
) -> Iterator[TestClient[Litestar]]:
    with TestClient(_app(service, settings, options)) as client:
        yield client


def _assert_refused(response: Any, why: str = "") -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401
    assert why in body["detail"]


def test_a_genuine_token_opens_the_routes(
    client: TestClient[Litestar], service: str, people: People
) -> None:
    token = Forger(people).genuine()
    for path in SIGNED_IN_ROUTES[service]:
        assert client.get(path, headers=bearer(token)).status_code == 200, path


@pytest.mark.parametrize("bad", BAD_TOKENS)
def test_a_bad_token_is_refused_with_401(
    client: TestClient[Litestar], service: str, people: People, bad: str
) -> None:
    token = getattr(Forger(people), bad)()
    for path in SIGNED_IN_ROUTES[service]:
        _assert_refused(client.get(path, headers=bearer(token)))


@pytest.mark.parametrize("bad", ["tampered_payload", "signed_by_another_key_under_our_key_id"])
def test_a_bad_token_in_the_cookie_leaves_a_page_anonymous(
    client: TestClient[Litestar], service: str, people: People, bad: str
) -> None:
    client.cookies.set(SESSION_COOKIE, getattr(Forger(people), bad)())
    page = client.get(PAGE_FOR_SIGNED_IN[service], follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/auth/login")


def _sign_in(client: TestClient[Litestar], who: str) -> str:
    """login → development page → callback, as a browser would; the session token."""
    start = client.get("/auth/login", params={"next": "/me"}, follow_redirects=False)
    page = client.get(start.headers["location"])
    state = re.search(r'name="state" value="([^"]+)"', page.text)
    assert state is not None, page.text
    done = client.get(
        "/auth/callback", params={"code": who, "state": state.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    token = client.cookies.get(SESSION_COOKIE)
    assert token
    return token


def test_a_token_replayed_after_sign_out_is_refused(
    client: TestClient[Litestar], service: str
) -> None:
    token = _sign_in(client, "citizen-tyumen")
    for path in SIGNED_IN_ROUTES[service]:
        assert client.get(path, headers=bearer(token)).status_code == 200, path
    assert client.post("/auth/logout").status_code == 204
    client.cookies.clear()
    for path in SIGNED_IN_ROUTES[service]:
        _assert_refused(client.get(path, headers=bearer(token)), "signed out")
