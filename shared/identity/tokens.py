"""Session tokens: JWT signed with EdDSA (Ed25519), key id in the header.

Verification is deliberately narrow: the header must name EdDSA and a key of our ring, the
signature must verify, and audience, issuer and expiry must match. Anything else, including
``alg: none`` and HMAC algorithms keyed with a public key, is refused before the payload is
trusted.

Every request verifies a token, so verification is written out for exactly this one shape
(compact JWS, EdDSA, the claims below) instead of going through PyJWT's general decoder:
the header segment, the same for every token of a key, is parsed once and remembered; the
signature is checked with the ring's key object; the claims are checked as PyJWT would
(required claims present, ``iat``/``nbf`` not in the future, ``exp`` not past, within the
leeway; ``aud`` ours; ``iss`` ours). Issuing still uses PyJWT. A token that verified is
remembered until it expires (:mod:`shared.identity.verified_tokens`), so the further requests
of one visit skip the signature check; revocation is not this module's, and is checked on
every request regardless.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
import msgspec

from shared import ed25519
from shared.identity.claims import OrganisationGrant, Session
from shared.identity.keys import PublicSessionKeyRing, SessionKeyRing
from shared.identity.verified_tokens import VerifiedTokens

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
        keys: SessionKeyRing | PublicSessionKeyRing,
        *,
        lifetime: dt.timedelta,
        audience: str = AUDIENCE,
        issuer: str = ISSUER,
        remembered: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """``remembered``: how many verified tokens to keep (0: verify every time)."""
        self._ring = keys
        self._public_keys = keys.public_keys
        self.lifetime = lifetime
        self.audience = audience
        self.issuer = issuer
        self._verified = VerifiedTokens(remembered)
        self._clock = clock

    @property
    def can_issue(self) -> bool:
        """Whether this service holds the signing key (only the sign-in component does)."""
        return isinstance(self._ring, SessionKeyRing)

    @property
    def keys(self) -> SessionKeyRing:
        """The signing key ring; a verify-only service has none."""
        if not isinstance(self._ring, SessionKeyRing):
            raise RuntimeError("this service verifies sessions only; it holds no signing key")
        return self._ring

    def issue(self, claims: SessionClaims, *, now: float | None = None) -> tuple[str, Session]:
        keys = self.keys
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
            keys.signing_key,
            algorithm=_ALGORITHM,
            headers={"kid": keys.current_kid},
        )
        return token, session

    def verify(self, token: str) -> Session:
        key = self._verified.key(token)
        session = self._verified.get(key, expired_before=self._clock() - _LEEWAY_S)
        if session is None:
            session = self._verify(token)
            self._verified.put(key, session)
        return session

    def _verify(self, token: str) -> Session:
        header_segment, _, rest = token.partition(".")
        payload_segment, _, signature_segment = rest.partition(".")
        alg, kid = _header(header_segment)
        if alg != _ALGORITHM:
            raise InvalidSessionTokenError("the session token's algorithm is not accepted")
        if not isinstance(kid, str):
            raise InvalidSessionTokenError("the session token names no key")
        key = self._public_keys.get(kid)
        if key is None:
            raise InvalidSessionTokenError("the session token was signed by an unknown key")
        try:
            signature = _b64decode(signature_segment)
            payload_bytes = _b64decode(payload_segment)
        except (binascii.Error, ValueError):
            raise InvalidSessionTokenError("the session token is invalid") from None
        if not ed25519.verify(key, signature, f"{header_segment}.{payload_segment}".encode()):
            raise InvalidSessionTokenError("the session token's signature does not verify")
        try:
            payload = _json.decode(payload_bytes)
        except msgspec.DecodeError:
            raise InvalidSessionTokenError("the session token is invalid") from None
        if not isinstance(payload, dict):
            raise InvalidSessionTokenError("the session token is invalid")
        self._check_claims(payload)
        try:
            return msgspec.convert(payload, Session)
        except msgspec.ValidationError:
            raise InvalidSessionTokenError("the session token's claims are malformed") from None

    def _check_claims(self, payload: dict[str, Any]) -> None:
        if any(payload.get(claim) is None for claim in _REQUIRED):
            raise InvalidSessionTokenError("the session token is invalid")
        now = self._clock()
        iat, exp, nbf = payload["iat"], payload["exp"], payload.get("nbf")
        if not _is_number(iat) or not _is_number(exp) or not (nbf is None or _is_number(nbf)):
            raise InvalidSessionTokenError("the session token is invalid")
        if iat > now + _LEEWAY_S or (nbf is not None and nbf > now + _LEEWAY_S):
            raise InvalidSessionTokenError("the session token is invalid")
        if exp <= now - _LEEWAY_S:
            raise InvalidSessionTokenError("the session token has expired")
        if payload["iss"] != self.issuer:
            raise InvalidSessionTokenError("the session token is invalid")
        audience = payload["aud"]
        if isinstance(audience, str):
            audience = [audience]
        if (
            not isinstance(audience, list)
            or not all(isinstance(a, str) for a in audience)
            or self.audience not in audience
        ):
            raise InvalidSessionTokenError("the session token is for another audience")


_json = msgspec.json.Decoder()


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@functools.lru_cache(maxsize=64)
def _header(segment: str) -> tuple[object, object]:
    """(alg, kid) of a header segment; every token of one key has the same one."""
    try:
        header = _json.decode(_b64decode(segment))
    except (binascii.Error, ValueError, msgspec.DecodeError):
        raise InvalidSessionTokenError("the session token is malformed") from None
    if not isinstance(header, dict):
        raise InvalidSessionTokenError("the session token is malformed")
    return header.get("alg"), header.get("kid")
