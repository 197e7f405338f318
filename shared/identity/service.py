"""Sign-in, refresh, sign-out and authentication: the identity flow without HTTP."""

from __future__ import annotations

from dataclasses import dataclass

from shared.identity.claims import Role, Session
from shared.identity.csrf import CsrfTokens
from shared.identity.dev_provider import DevIdentityProvider
from shared.identity.provider import IdentityProvider
from shared.identity.pseudonym import pseudonym
from shared.identity.registry import roles_for
from shared.identity.session_store import SessionRecord, SessionStore
from shared.identity.tokens import InvalidSessionTokenError, SessionClaims, TokenService

__all__ = ("IdentityService", "SignedIn")


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    session: Session
    refresh_cookie: str


class IdentityService:
    def __init__(
        self,
        *,
        provider: IdentityProvider | None,
        tokens: TokenService,
        sessions: SessionStore,
        pepper: bytes | None,
        csrf: CsrfTokens,
    ) -> None:
        """``provider`` and ``pepper`` are None in a service that only verifies sessions
        (it has no signing key either): sign-in, refresh and pseudonyms are then refused."""
        self.provider = provider
        self.tokens = tokens
        self.sessions = sessions
        self.csrf = csrf
        self._pepper = pepper

    @property
    def issuing(self) -> bool:
        """Whether this service signs people in (the sign-in component), or only verifies."""
        return self.provider is not None and self._pepper is not None and self.tokens.can_issue

    @property
    def dev_provider(self) -> DevIdentityProvider | None:
        return self.provider if isinstance(self.provider, DevIdentityProvider) else None

    def subject(self, oid: str) -> str:
        if self._pepper is None:
            raise RuntimeError("this service verifies sessions only; it holds no pepper")
        return pseudonym(self._pepper, oid)

    async def sign_in(self, code: str, state: str) -> SignedIn:
        """Complete the provider's flow and open a session; the oid stops here."""
        if self.provider is None:
            raise RuntimeError("this service verifies sessions only; it signs nobody in")
        person = await self.provider.complete(code, state)
        record, cookie = await self.sessions.open(
            sub=self.subject(person.oid),
            trusted=person.trusted,
            birth_date=person.birth_date,
            oktmo=person.address.oktmo,
            region=person.address.region,
        )
        return await self._issue(record, cookie)

    async def refresh(self, refresh_cookie: str) -> SignedIn:
        """A new session token (with roles re-read from the registry) and a rotated cookie."""
        record, cookie = await self.sessions.renew(refresh_cookie)
        return await self._issue(record, cookie)

    async def sign_out(self, *, refresh_cookie: str | None, token: str | None) -> bool:
        """Revoke the session named by a genuine refresh cookie or a valid session token."""
        sid = await self.sessions.sid_of_cookie(refresh_cookie) if refresh_cookie else None
        if sid is None and token:
            try:
                sid = self.tokens.verify(token).sid
            except InvalidSessionTokenError:
                sid = None
        if sid is None:
            return False
        await self.sessions.revoke(sid)
        return True

    async def sign_out_everywhere(self, sub: str) -> int:
        """End every session of ``sub`` on every device; how many were ended."""
        return await self.sessions.revoke_all(sub)

    async def session_of(self, token: str) -> Session | None:
        """The session of a valid, unrevoked token, else None."""
        try:
            return await self.authenticate(token)
        except InvalidSessionTokenError:
            return None

    async def authenticate(
        self, token: str, *, revocation_checked_by_route: bool = False
    ) -> Session:
        """The session of a valid token that was not signed out. A route that reads the
        revocation in a round trip of its own (``revocation_checked_by_route``, the cast) gets
        the session before that check, and must refuse it itself if it was signed out."""
        session = self.tokens.verify(token)
        if revocation_checked_by_route:
            return session
        if await self.sessions.is_revoked(session.sid):
            raise InvalidSessionTokenError("the session was signed out")
        return session

    def widget_token(self, session: Session) -> tuple[str, Session]:
        """A token of ``session`` for the widget on another organisation's site: the same
        person and sign-in session (signing out ends it too), as short-lived as any session
        token, but a citizen's only. It lives in a frame under a site we do not control, so
        it carries none of an official's, auditor's or admin's powers."""
        return self.tokens.issue(
            SessionClaims(
                sub=session.sub,
                trusted=session.trusted,
                birth_date=session.birth_date,
                oktmo=session.oktmo,
                region=session.region,
                roles=(Role.CITIZEN.value,),
                orgs=(),
                sid=session.sid,
            )
        )

    async def _issue(self, record: SessionRecord, cookie: str) -> SignedIn:
        role_set = await roles_for(record.sub)
        token, session = self.tokens.issue(
            SessionClaims(
                sub=record.sub,
                trusted=record.trusted,
                birth_date=record.birth_date,
                oktmo=record.oktmo,
                region=record.region,
                roles=role_set.roles,
                orgs=role_set.orgs,
                sid=record.sid,
            )
        )
        return SignedIn(token=token, session=session, refresh_cookie=cookie)
