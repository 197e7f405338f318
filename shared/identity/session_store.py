"""Sign-in sessions: refresh secrets in the database, revocations in Redis with a database
fallback.

A session token is valid until it expires, so sign-out must be able to stop one early. Every
token carries its sign-in session id (``sid``); sign-out marks the session revoked in the
database (the authority) and adds the sid to a Redis set whose entries live exactly as long
as a token could. Checking a token costs a share of one Redis round trip: the checks of
concurrent requests go together in one MGET of their sids and a "loaded" marker, so under
load a batch of requests pays one round trip (a cast reads both in its Redis gate's script
instead, :meth:`SessionStore.revoked_given`), and nothing is cached in the process: a
sign-out is refused by every replica from the moment its Redis write is done. When Redis is
unreachable, or was restarted and lost the set (the marker is gone), the database answers and
the set is rebuilt from it. The marker expires every minute, so even a revocation whose Redis
write failed is picked up within a minute.

A session's row keeps the person's attributes only while it can still be refreshed, or a
token of it can still be valid: sign-out strips it down to a revocation (session id and time,
nothing about the person), and :meth:`SessionStore.delete_expired`, run every minute, deletes
rows whose refresh cookie has expired (once no token of theirs can be valid) and revocations
that no token can outlive any more.

A refresh cookie works once: renewing rotates its secret and remembers the old one's hash, so
a copy presented later ends the whole session (:meth:`SessionStore.renew`). Signing out
everywhere revokes every live session of the person (:meth:`SessionStore.revoke_all`).

The sign-in time is kept to the minute. Redis holds session ids only (random, and the rows
they name say nobody's name).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import secrets
import time
from typing import Any

import msgspec
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from shared.identity.tables import RefreshToken, RotatedRefreshSecret

__all__ = ("RefreshRefusedError", "SessionRecord", "SessionStore")

# What a signed-out row holds instead of the person: it stays only as a revocation.
_SIGNED_OUT: dict[str, Any] = {
    "token_hash": "",  # no refresh secret hashes to this: the cookie is dead
    "sub": "",
    "trusted": False,
    "birth_date": dt.date.min,
    "oktmo": "",
    "region": "",
}

_REVOKED = "vmeste:identity:revoked:"
_LOADED = "vmeste:identity:revocations-loaded"
_LOADED_TTL_S = 60
# After a Redis failure, go straight to the database for a while instead of paying the
# connect timeout on every request.
_REDIS_BACKOFF_S = 5.0
# Sids per MGET: bounds one reply while still sharing the round trip widely.
_MAX_LOOKUPS = 512
_log = structlog.get_logger("vmeste.identity")


class RefreshRefusedError(Exception):
    """The refresh cookie is unknown, expired, revoked, already used or malformed."""


class SessionRecord(msgspec.Struct, frozen=True, kw_only=True):
    """What a sign-in session keeps so a refreshed token says the same about the person."""

    sid: str
    sub: str
    trusted: bool
    birth_date: dt.date
    oktmo: str
    region: str


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _to_minute(at: dt.datetime) -> dt.datetime:
    return at.replace(second=0, microsecond=0)


class SessionStore:
    def __init__(
        self,
        redis: Redis,
        *,
        session_lifetime: dt.timedelta,
        refresh_lifetime: dt.timedelta,
    ) -> None:
        self._redis = redis
        self._session_lifetime = session_lifetime
        self._refresh_lifetime = refresh_lifetime
        self._redis_down_until = 0.0
        self._reload_lock = asyncio.Lock()
        self._pending: list[tuple[str, asyncio.Future[tuple[bool, bool] | None]]] = []
        self._drain: asyncio.Task[None] | None = None

    async def open(
        self, *, sub: str, trusted: bool, birth_date: dt.date, oktmo: str, region: str
    ) -> tuple[SessionRecord, str]:
        """A new sign-in session and its refresh cookie value (``sid.secret``)."""
        sid = secrets.token_urlsafe(16)
        secret = secrets.token_urlsafe(32)
        # To the minute, and the expiry from it, so neither column tells the second of sign-in.
        now = _to_minute(_now())
        await RefreshToken.insert(
            RefreshToken(
                session_id=sid,
                token_hash=_hash(secret),
                sub=sub,
                trusted=trusted,
                birth_date=birth_date,
                oktmo=oktmo,
                region=region,
                created_at=now,
                expires_at=now + self._refresh_lifetime,
                revoked_at=None,
            )
        )
        record = SessionRecord(
            sid=sid, sub=sub, trusted=trusted, birth_date=birth_date, oktmo=oktmo, region=region
        )
        return record, f"{sid}.{secret}"

    async def renew(self, cookie: str) -> tuple[SessionRecord, str]:
        """Check the refresh cookie and rotate its secret; the old value stops working.

        An old value presented again means two holders of one cookie: the person and someone
        who copied it. Which is which cannot be told, so the session ends for both (RFC 9700
        §4.14.2) and the person signs in again.
        """
        sid, _, secret = cookie.partition(".")
        if not sid or not secret:
            raise RefreshRefusedError("malformed refresh cookie")
        presented = _hash(secret)
        row = await RefreshToken.select().where(RefreshToken.session_id == sid).first()
        if row is None:
            raise RefreshRefusedError("unknown refresh cookie")
        if not hmac.compare_digest(presented, row["token_hash"]):
            if await RotatedRefreshSecret.exists().where(
                (RotatedRefreshSecret.token_hash == presented)
                & (RotatedRefreshSecret.session_id == sid)
            ):
                await self.revoke(sid)
                _log.warning("a rotated refresh cookie was presented again: session ended")
                raise RefreshRefusedError(
                    "this refresh cookie was already used once, so a copy of it may be in "
                    "other hands; the session has been ended on every device"
                )
            raise RefreshRefusedError("unknown refresh cookie")
        if row["revoked_at"] is not None:
            raise RefreshRefusedError("the session was signed out")
        if row["expires_at"] <= _now():
            raise RefreshRefusedError("the session has expired")
        new_secret = secrets.token_urlsafe(32)
        async with RefreshToken._meta.db.transaction():
            # Conditional on the old hash: of two concurrent refreshes only one wins.
            rotated = await (
                RefreshToken.update({RefreshToken.token_hash: _hash(new_secret)})
                .where(
                    (RefreshToken.session_id == sid)
                    & (RefreshToken.token_hash == row["token_hash"])
                    & RefreshToken.revoked_at.is_null()
                )
                .returning(RefreshToken._meta.primary_key)
            )
            if not rotated:
                raise RefreshRefusedError("the refresh cookie was already used")
            await RotatedRefreshSecret.insert(
                RotatedRefreshSecret(
                    token_hash=row["token_hash"], session_id=sid, expires_at=row["expires_at"]
                )
            )
        record = SessionRecord(
            sid=sid,
            sub=row["sub"],
            trusted=row["trusted"],
            birth_date=row["birth_date"],
            oktmo=row["oktmo"],
            region=row["region"],
        )
        return record, f"{sid}.{new_secret}"

    async def sid_of_cookie(self, cookie: str) -> str | None:
        """The session id of a genuine refresh cookie, else None."""
        sid, _, secret = cookie.partition(".")
        if not sid or not secret:
            return None
        row = await (
            RefreshToken.select(RefreshToken.token_hash)
            .where(RefreshToken.session_id == sid)
            .first()
        )
        if row is None or not hmac.compare_digest(_hash(secret), row["token_hash"]):
            return None
        return sid

    async def revoke(self, sid: str) -> None:
        """Sign out: the database first (the authority), then the fast path.

        The row loses everything about the person and its refresh secret; what stays is the
        revocation, until no token of the session can still be valid (see delete_expired).
        A session whose row is already gone (its refresh cookie expired) gets a bare
        revocation row, since its last token may still be valid for a while.
        """
        now = _now()
        columns = {getattr(RefreshToken, name): value for name, value in _SIGNED_OUT.items()}
        revoked = await (
            RefreshToken.update(
                {
                    **columns,
                    RefreshToken.created_at: _to_minute(now),
                    RefreshToken.expires_at: now,
                    RefreshToken.revoked_at: now,
                }
            )
            .where((RefreshToken.session_id == sid) & RefreshToken.revoked_at.is_null())
            .returning(RefreshToken.session_id)
        )
        if not revoked and not await RefreshToken.exists().where(RefreshToken.session_id == sid):
            try:
                await RefreshToken.insert(
                    RefreshToken(
                        session_id=sid,
                        **_SIGNED_OUT,
                        created_at=_to_minute(now),
                        expires_at=now,
                        revoked_at=now,
                    )
                )
            except Exception:
                # A concurrent sign-out of the same session wrote it first: revoked either way.
                if not await self._revoked_in_database(sid):
                    raise
        await RotatedRefreshSecret.delete().where(RotatedRefreshSecret.session_id == sid)
        if self._redis_usable():
            try:
                await self._redis.set(_REVOKED + sid, b"1", ex=self._revocation_ttl())
            except (RedisError, OSError):
                self._redis_failed()
                _log.warning("revocation not written to redis", error="redis unavailable")

    async def revoke_all(self, sub: str) -> int:
        """Sign out everywhere: revoke every live session of ``sub``; how many there were.

        Rows outlive their refresh cookie by a token's lifetime (see delete_expired), so a
        token renewed at the last moment is found here too."""
        rows = await RefreshToken.select(RefreshToken.session_id).where(
            (RefreshToken.sub == sub) & RefreshToken.revoked_at.is_null()
        )
        for row in rows:
            await self.revoke(row["session_id"])
        return len(rows)

    async def delete_expired(self) -> None:
        """Delete rows nobody needs any more: sessions whose refresh cookie expired longer ago
        than a token renewed at its last moment can live (a still-valid token then always has
        its row, for sign-out everywhere), revocations older than any token of their session
        can live, and rotated secrets of sessions that can no longer be renewed."""
        now = _now()
        horizon = now - dt.timedelta(seconds=self._revocation_ttl())
        await RefreshToken.delete().where(
            (RefreshToken.revoked_at.is_null() & (RefreshToken.expires_at <= horizon))
            | (RefreshToken.revoked_at.is_not_null() & (RefreshToken.revoked_at <= horizon))
        )
        await RotatedRefreshSecret.delete().where(RotatedRefreshSecret.expires_at <= now)

    async def is_revoked(self, sid: str) -> bool:
        if not self._redis_usable():
            return await self._revoked_in_database(sid)
        return await self.revoked_given(sid, await self._lookup(sid))

    @staticmethod
    def revocation_keys(sid: str) -> tuple[str, str]:
        """(marker that the revocation set is loaded, the sid's key in it): for a caller that
        reads them in a Redis round trip of its own and hands the answer to
        :meth:`revoked_given`."""
        return _LOADED, _REVOKED + sid

    async def revoked_given(self, sid: str, answer: tuple[bool, bool] | None) -> bool:
        """Whether ``sid`` is revoked, given (marker present, sid listed) as read from Redis,
        or None if Redis did not answer: the database decides whenever Redis cannot."""
        if answer is None:
            return await self._revoked_in_database(sid)
        loaded, listed = answer
        if listed:
            return True
        if loaded:
            return False
        revoked = await self._revoked_in_database(sid)
        await self._reload()
        return revoked

    async def _lookup(self, sid: str) -> tuple[bool, bool] | None:
        """(marker present, sid listed) from Redis, or None if Redis did not answer.

        Lookups made while an MGET is in flight queue up and share the next one.
        """
        loop = asyncio.get_running_loop()
        future: asyncio.Future[tuple[bool, bool] | None] = loop.create_future()
        if self._drain is None or self._drain.get_loop() is not loop:
            # A drain of another (finished) event loop cannot serve this one.
            self._pending = []
            self._drain = loop.create_task(self._drain_lookups(), name="revocation-lookups")
        self._pending.append((sid, future))
        return await future

    async def _drain_lookups(self) -> None:
        try:
            while self._pending:
                batch = self._pending[:_MAX_LOOKUPS]
                del self._pending[:_MAX_LOOKUPS]
                answers: list[tuple[bool, bool] | None]
                try:
                    loaded, *hits = await self._redis.mget(
                        [_LOADED, *(_REVOKED + sid for sid, _ in batch)]
                    )
                    answers = [(loaded is not None, hit is not None) for hit in hits]
                except (RedisError, OSError):
                    self._redis_failed()
                    answers = [None] * len(batch)
                for (_, future), answer in zip(batch, answers, strict=True):
                    if not future.done():
                        future.set_result(answer)
        finally:
            self._drain = None

    def _revocation_ttl(self) -> int:
        return int(self._session_lifetime.total_seconds()) + 60

    def _redis_usable(self) -> bool:
        return time.monotonic() >= self._redis_down_until

    def _redis_failed(self) -> None:
        self._redis_down_until = time.monotonic() + _REDIS_BACKOFF_S

    async def _revoked_in_database(self, sid: str) -> bool:
        row = await (
            RefreshToken.select(RefreshToken.revoked_at)
            .where(RefreshToken.session_id == sid)
            .first()
        )
        return row is not None and row["revoked_at"] is not None

    async def _reload(self) -> None:
        """Copy every revocation that can still matter from the database into Redis."""
        if self._reload_lock.locked():
            return
        async with self._reload_lock:
            horizon = _now() - dt.timedelta(seconds=self._revocation_ttl())
            rows = await RefreshToken.select(
                RefreshToken.session_id, RefreshToken.revoked_at
            ).where(RefreshToken.revoked_at > horizon)
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for row in rows:
                        left = self._revocation_ttl() - (_now() - row["revoked_at"]).total_seconds()
                        pipe.set(_REVOKED + row["session_id"], b"1", ex=max(1, int(left)))
                    pipe.set(_LOADED, b"1", ex=_LOADED_TTL_S)
                    await pipe.execute()
            except (RedisError, OSError):
                self._redis_failed()
