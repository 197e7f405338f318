"""HTTP routes of sign-in: /auth/*, GET /me, and the territory reference's /api/v1/territory/*.

The sign-in component (polls) mounts them all. A service that only verifies sessions mounts
sign-out, /me and the territory routes: its pages send people to the sign-in component's
/auth/login with a ``next`` that brings them back."""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from collections.abc import Iterable, Mapping
from typing import Annotated, Any
from urllib.parse import urlsplit

import msgspec
from litestar import Request, Response, get, post
from litestar.datastructures import Cookie
from litestar.enums import MediaType
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import QueryParameter
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from shared.config import SIGN_IN_SERVICE, Settings
from shared.identity.claims import OrganisationGrant
from shared.identity.csrf import CSRF_FIELD, CSRF_HEADER
from shared.identity.guards import SessionDependency
from shared.identity.middleware import SESSION_COOKIE, presented_credentials, presented_token
from shared.identity.provider import IdentityRefusedError, ProviderUnavailableError
from shared.identity.service import IdentityService, SignedIn
from shared.identity.session_store import RefreshRefusedError
from shared.identity.territory.http import territory_routes
from shared.identity.territory.store import TerritoryStore
from shared.web.cookies import HOST_PREFIX, cookie_name
from shared.web.openapi import problems
from shared.web.problems import ProblemError

__all__ = (
    "OPENER_KEPT",
    "RECEIPT_COOKIE_PREFIX",
    "REFRESH_COOKIE",
    "Me",
    "SessionTokenResponse",
    "identity_routes",
)

REFRESH_COOKIE = "vmeste_refresh"
RECEIPT_COOKIE_PREFIX = "vmeste_receipt_"
"""Cookies named with this prefix hold a receipt of the person (one cookie per poll): sign-out
deletes every one the browser sends, so the next user of a shared computer cannot find how the
last one voted."""
_RECEIPT_COOKIE_NAME = re.compile(
    f"(?:{re.escape(HOST_PREFIX)})?{re.escape(RECEIPT_COOKIE_PREFIX)}[A-Za-z0-9_-]{{1,64}}"
)
_STATE_COOKIE = "vmeste_auth_state"
_NEXT_COOKIE = "vmeste_auth_next"
_STATE_MAX_AGE_S = 600
OPENER_KEPT = {"cross-origin-opener-policy": "unsafe-none"}
"""The sign-in responses keep their window's opener: the widget on an organisation's site
signs people in through a popup, which posts the token back to it at the end
(:mod:`shared.web.ui.widget_sign_in`); with ``same-origin``, every other page's policy, a
popup opened from a frame under another site loses ``window.opener``. These responses are
redirects and the provider's page, with nothing an opener could read."""


class Me(msgspec.Struct, kw_only=True):
    """What the caller's session says about them."""

    sub: str
    trusted: bool
    birth_date: dt.date
    oktmo: str
    region: str
    roles: tuple[str, ...]
    organisations: tuple[OrganisationGrant, ...]
    expires_at: dt.datetime


class SessionTokenResponse(msgspec.Struct, kw_only=True):
    """A fresh session token for API clients (send it as ``Authorization: Bearer``)."""

    token: str
    token_type: str
    expires_at: dt.datetime


class SignedOut(msgspec.Struct, kw_only=True):
    """How many sign-in sessions a sign-out ended."""

    sessions: int


_UNSAFE_IN_NEXT = re.compile(r"[\\\x00-\x20\x7f]")
"""Backslashes, whitespace and control characters: browsers read such URLs leniently (a
backslash as a slash, a tab dropped), so a string checked one way could be followed another."""


class _NextTargets:
    """Where a sign-in or sign-out may send the browser on to: a local path, or a page under
    the configured public URL of one of the platform's own services (the sign-in component
    serves the other services' pages too). Anything else is an open redirect, which would let
    phishing pages borrow our sign-in; it goes to the home page instead (``home``: the sign-in
    service's public path, ``/polls/`` behind the ingress)."""

    def __init__(self, public_urls: Iterable[str], home: str = "/") -> None:
        self._bases = [urlsplit(url.rstrip("/")) for url in public_urls]
        self._home = home

    def safe(self, target: str | None) -> str:
        if not target or _UNSAFE_IN_NEXT.search(target):
            return self._home
        if target.startswith("/"):
            return self._home if target.startswith("//") else target
        try:
            parts = urlsplit(target)
        except ValueError:
            return self._home
        for base in self._bases:
            if (
                parts.scheme == base.scheme
                and parts.netloc == base.netloc
                and (parts.path == base.path or parts.path.startswith(base.path + "/"))
            ):
                return target
        return self._home


class _Cookies:
    """The sign-in cookies. All are ``Path=/`` and, outside development, ``__Host-`` cookies
    (:mod:`shared.web.cookies`): a sibling subdomain can neither plant a session nor shadow
    one, which is worth more than keeping the refresh secret off page requests to our own
    servers."""

    def __init__(self, settings: Settings) -> None:
        self._secure = settings.security.secure_cookies
        self._session_s = settings.security.session_minutes * 60
        self._refresh_s = settings.security.refresh_hours * 3600

    def name(self, base: str) -> str:
        return cookie_name(base, secure=self._secure)

    def read(self, request: Request[Any, Any, Any], base: str) -> str | None:
        return request.cookies.get(self.name(base))

    def _cookie(self, key: str, value: str, max_age: int) -> Cookie:
        return Cookie(
            key=self.name(key),
            value=value,
            max_age=max_age,
            path="/",
            httponly=True,
            secure=self._secure,
            samesite="lax",
        )

    def flow(self, state: str, next_path: str) -> list[Cookie]:
        return [
            self._cookie(_STATE_COOKIE, state, _STATE_MAX_AGE_S),
            self._cookie(_NEXT_COOKIE, next_path, _STATE_MAX_AGE_S),
        ]

    def signed_in(self, signed: SignedIn) -> list[Cookie]:
        return [
            self._cookie(SESSION_COOKIE, signed.token, self._session_s),
            self._cookie(REFRESH_COOKIE, signed.refresh_cookie, self._refresh_s),
            *self.cleared(_STATE_COOKIE, _NEXT_COOKIE),
        ]

    def cleared(self, *keys: str) -> list[Cookie]:
        return [self._cookie(k, "", 0) for k in keys]

    def signed_out(self, presented: Mapping[str, str]) -> list[Cookie]:
        """The session, its refresh secret and every receipt the browser holds, deleted."""
        receipts = sorted(
            k.removeprefix(HOST_PREFIX) for k in presented if _RECEIPT_COOKIE_NAME.fullmatch(k)
        )
        return self.cleared(SESSION_COOKIE, REFRESH_COOKIE, *receipts)


def _problem(exc: IdentityRefusedError | ProviderUnavailableError) -> ProblemError:
    if isinstance(exc, IdentityRefusedError):
        return ProblemError(403, exc.slug, exc.title, exc.detail)
    return ProblemError(
        503,
        "identity-provider-unavailable",
        "Sign-in service unavailable",
        "Gosuslugi or the signature service did not answer. Try again in a minute.",
        headers={"Retry-After": "30"},
    )


def identity_routes(
    service: IdentityService, settings: Settings, territory: TerritoryStore
) -> list[ControllerRouterHandler]:
    cookies = _Cookies(settings)
    home = urlsplit(settings.public_urls[SIGN_IN_SERVICE]).path.rstrip("/") + "/"
    targets = _NextTargets(settings.public_urls.values(), home)
    _safe_next = targets.safe

    @get(
        "/auth/login",
        tags=["identity"],
        summary="Start sign-in with the configured provider",
        status_code=303,
        responses=problems(503),
    )
    async def login(
        next_path: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None,
    ) -> Redirect:
        state = secrets.token_hex(16)
        if service.provider is None:  # not mounted then; the check keeps the types honest
            raise ProblemError(404, "not-found", "Not found", "Sign in on the sign-in page.")
        try:
            url = await service.provider.start(state)
        except ProviderUnavailableError as exc:
            raise _problem(exc) from exc
        return Redirect(
            url,
            status_code=303,
            cookies=cookies.flow(state, _safe_next(next_path)),
            headers=OPENER_KEPT,
        )

    @get(
        "/auth/callback",
        tags=["identity"],
        summary="Provider callback: open the session",
        status_code=303,
        responses=problems(400, 401, 403, 503),
    )
    async def callback(
        request: Request[Any, Any, Any],
        code: Annotated[str | None, QueryParameter(max_length=2000)] = None,
        # "state" is a reserved parameter name in Litestar, hence the alias.
        oauth_state: Annotated[str | None, QueryParameter(name="state", max_length=200)] = None,
        error: Annotated[str | None, QueryParameter(max_length=200)] = None,
    ) -> Redirect:
        expected = cookies.read(request, _STATE_COOKIE) or ""
        if not oauth_state or not expected or not hmac.compare_digest(oauth_state, expected):
            raise ProblemError(
                400,
                "sign-in-state-mismatch",
                "Sign-in attempt not recognised",
                "Start again from the sign-in link: this attempt expired or began elsewhere.",
            )
        if error or not code:
            raise ProblemError(
                401,
                "sign-in-cancelled",
                "Sign-in not completed",
                "Gosuslugi did not confirm the sign-in. Start again from the sign-in link.",
            )
        try:
            signed = await service.sign_in(code, oauth_state)
        except (IdentityRefusedError, ProviderUnavailableError) as exc:
            raise _problem(exc) from exc
        target = _safe_next(cookies.read(request, _NEXT_COOKIE))
        return Redirect(
            target, status_code=303, cookies=cookies.signed_in(signed), headers=OPENER_KEPT
        )

    @post(
        "/auth/refresh",
        tags=["identity"],
        status_code=200,
        summary="Renew the session token",
        responses=problems(401),
    )
    async def refresh(request: Request[Any, Any, Any]) -> Response[SessionTokenResponse]:
        presented = cookies.read(request, REFRESH_COOKIE)
        try:
            if not presented:
                raise RefreshRefusedError("no refresh cookie")
            signed = await service.refresh(presented)
        except RefreshRefusedError as exc:
            raise ProblemError(
                401, "refresh-refused", "Sign-in required", f"{exc}: sign in again."
            ) from exc
        body = SessionTokenResponse(
            token=signed.token,
            token_type="Bearer",  # noqa: S106 - the scheme name, not a secret
            expires_at=signed.session.expires_at,
        )
        return Response(body, cookies=cookies.signed_in(signed))

    @post(
        "/auth/logout",
        tags=["identity"],
        status_code=204,
        summary="Sign out of this session",
        responses={303: ResponseSpec(None, description="Signed out; on to ``next``")},
    )
    async def logout(
        request: Request[Any, Any, Any],
        next_path: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None,
    ) -> Response[None]:
        await service.sign_out(
            refresh_cookie=cookies.read(request, REFRESH_COOKIE),
            token=presented_token(request.scope),
        )
        cleared = cookies.signed_out(request.cookies)
        if next_path is not None:
            return Redirect(_safe_next(next_path), status_code=303, cookies=cleared)
        return Response(None, status_code=204, cookies=cleared)

    @post(
        "/auth/logout/everywhere",
        tags=["identity"],
        status_code=200,
        summary="Sign out everywhere: end every session of the caller, on every device",
        description=(
            "Authenticated by ``Authorization: Bearer``, or by the session cookie together "
            "with the session's CSRF token (form field ``csrf_token`` or header "
            "``X-CSRF-Token``): another site must not be able to sign a person out everywhere."
        ),
        responses={
            303: ResponseSpec(None, description="Signed out; on to ``next``"),
            **problems(401, 403),
        },
    )
    async def logout_everywhere(
        request: Request[Any, Any, Any],
        next_path: Annotated[str | None, QueryParameter(name="next", max_length=2000)] = None,
    ) -> Response[SignedOut]:
        token, from_cookie = presented_credentials(request.scope)
        session = await service.session_of(token) if token else None
        if session is None:
            raise ProblemError(
                401, "sign-in-required", "Sign-in required", "No valid session to sign out of."
            )
        if from_cookie:
            form = await request.form()
            service.csrf.check(
                session.sid, form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
            )
        ended = await service.sign_out_everywhere(session.sub)
        cleared = cookies.signed_out(request.cookies)
        if next_path is not None:
            return Redirect(_safe_next(next_path), status_code=303, cookies=cleared)
        return Response(SignedOut(sessions=ended), cookies=cleared)

    @get("/me", tags=["identity"], summary="What the session says about the caller")
    async def me(session: SessionDependency) -> Me:
        return Me(
            sub=session.sub,
            trusted=session.trusted,
            birth_date=session.birth_date,
            oktmo=session.oktmo,
            region=session.region,
            roles=session.roles,
            organisations=session.orgs,
            expires_at=session.expires_at,
        )

    handlers: list[ControllerRouterHandler] = [
        logout,
        logout_everywhere,
        me,
        *territory_routes(territory),
    ]
    if service.issuing:
        handlers.extend((login, callback, refresh))
    dev = service.dev_provider
    if dev is not None:

        @get(
            dev.page_path,
            media_type=MediaType.HTML,
            tags=["identity"],
            summary="Development sign-in page (fixture people)",
        )
        async def dev_page(
            oauth_state: Annotated[str, QueryParameter(name="state", max_length=200)],
        ) -> Response[str]:
            return Response(dev.page(oauth_state), media_type=MediaType.HTML, headers=OPENER_KEPT)

        handlers.append(dev_page)
    return handlers
