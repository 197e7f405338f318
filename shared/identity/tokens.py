"""Session tokens: JWT signed with EdDSA (Ed25519), key id in the header.

Verification is deliberately narrow: the header must name EdDSA and a key of our ring, the
signature must verify, and audience, issuer and expiry must match. Anything else, including
``alg: none`` and HMAC algorithms keyed with a public key, is refused before the payload is
trusted.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt
import msgspec

from shared.identity.keys import KeyRing
from shared.identity.session import OrganisationGrant, Session

__all__ = (
    "AUDIENCE",
    "ISSUER",
    "InvalidSessionTokenError",
    "SessionClaims",
    "TokenService",
)

AUDIENCE = "vmeste"
ISSUER = "vmeste-identity"
_ALGORITHM = "EdDSA"
# Pods' clocks drift a little; a few seconds of grace avoid refusing a token just issued.
_LEEWAY_S = 5
_REQUIRED = ["exp", "iat", "aud", "iss", "sub", "jti", "sid"]


class InvalidSessionTokenError(Exception):
    """The token cannot be trusted; ``reason`` is safe to show to the caller."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class SessionClaims:
    """Everything a session says except the times and token id, which issuing adds."""

    sub: str
    trusted: bool
    birth_date: dt.date
    oktmo: str
    region: str
    roles: tuple[str, ...]
    orgs: tuple[OrganisationGrant, ...]
    sid: str


class TokenService:
    def __init__(
        self,
        keys: KeyRing,
        *,
        lifetime: dt.timedelta,
        audience: str = AUDIENCE,
        issuer: str = ISSUER,
    ) -> None:
        self.keys = keys
        self.lifetime = lifetime
        self.audience = audience
        self.issuer = issuer

    def issue(self, claims: SessionClaims, *, now: float | None = None) -> tuple[str, Session]:
        issued = int(time.time() if now is None else now)
        session = Session(
            sub=claims.sub,
            trusted=claims.trusted,
            birth_date=claims.birth_date,
            oktmo=claims.oktmo,
            region=claims.region,
            roles=claims.roles,
            orgs=claims.orgs,
            sid=claims.sid,
            jti=secrets.token_urlsafe(16),
            iat=issued,
            exp=issued + int(self.lifetime.total_seconds()),
        )
        payload: dict[str, Any] = msgspec.to_builtins(session)
        payload["aud"] = self.audience
        payload["iss"] = self.issuer
        token = jwt.encode(
            payload,
            self.keys.signing_key,
            algorithm=_ALGORITHM,
            headers={"kid": self.keys.current_kid},
        )
        return token, session

    def verify(self, token: str) -> Session:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidSessionTokenError("the session token is malformed") from None
        if header.get("alg") != _ALGORITHM:
            raise InvalidSessionTokenError("the session token's algorithm is not accepted")
        kid = header.get("kid")
        if not isinstance(kid, str):
            raise InvalidSessionTokenError("the session token names no key")
        key = self.keys.public_keys.get(kid)
        if key is None:
            raise InvalidSessionTokenError("the session token was signed by an unknown key")
        try:
            payload = jwt.decode(
                token,
                key,
                algorithms=[_ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=_LEEWAY_S,
                options={"require": _REQUIRED},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidSessionTokenError("the session token has expired") from None
        except jwt.InvalidAudienceError:
            raise InvalidSessionTokenError("the session token is for another audience") from None
        except jwt.InvalidSignatureError:
            raise InvalidSessionTokenError(
                "the session token's signature does not verify"
            ) from None
        except jwt.InvalidTokenError:
            raise InvalidSessionTokenError("the session token is invalid") from None
        try:
            return msgspec.convert(payload, Session)
        except msgspec.ValidationError:
            raise InvalidSessionTokenError("the session token's claims are malformed") from None
