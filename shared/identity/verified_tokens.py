"""A bounded memory of the session tokens this process has already verified.

A citizen's visit is several requests on one token (the poll's page, the cast, the check
page), and each would verify the same Ed25519 signature again: the largest single cost of
authenticating. A token whose signature and claims verified once is remembered until it
expires, so later requests pay one hash and one dictionary look-up.

What it does not change: revocation is checked on every request, cached or not (see
:meth:`shared.identity.service.IdentityService.authenticate`), so a signed-out session is
refused exactly as quickly as before; expiry is checked again on every hit with the same
leeway as verification; and any change to a token's bytes is a different key, so a forged
or altered token is never served from here. Keys are SHA-256 digests of the tokens, so the
memory of a process holds no usable bearer token beyond the request being served.
"""

from __future__ import annotations

import hashlib

from shared.identity.claims import Session

__all__ = ("VerifiedTokens",)


class VerifiedTokens:
    def __init__(self, max_entries: int = 10_000) -> None:
        self._max_entries = max_entries
        self._sessions: dict[bytes, Session] = {}

    @staticmethod
    def key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, key: bytes, *, expired_before: float) -> Session | None:
        """The session of a token verified earlier, unless it expired (``exp`` at or before
        ``expired_before``: now minus the leeway)."""
        session = self._sessions.get(key)
        if session is None:
            return None
        if session.exp <= expired_before:
            del self._sessions[key]
            return None
        return session

    def put(self, key: bytes, session: Session) -> None:
        if self._max_entries <= 0:
            return
        if len(self._sessions) >= self._max_entries:
            # The oldest entry goes first (dicts keep insertion order): a bound, not an LRU;
            # a token still in use is verified again once and comes back.
            del self._sessions[next(iter(self._sessions))]
        self._sessions[key] = session

    def __len__(self) -> int:
        return len(self._sessions)
