"""Casting a ballot: the hot path, in the order the architecture fixes.

1. (authenticated by the HTTP layer) poll open; voter eligible; answers valid;
2. ``voter_tag = HMAC(poll key, sub)``; a Redis ``SET NX`` gate on another keyed hash of the
   voter, batched with the concurrent casts' gates into one script call, turns repeats away
   cheaply; the same call says whether the caster's session was signed out, so the API route
   needs no revocation round trip of its own;
3. one transaction (shared with concurrent casts: group commit) writes the participation row,
   whose ``UNIQUE (poll_id, voter_tag)`` is the authority, and the ballot into the pool,
   sealed and padded, with no time and no link to the participation row;
4. only after the commit, the signed receipt (the future leaf hash, accepted-at to the minute)
   and its tracking code;
5. later, the mixer moves pooled ballots into the log in batches of at least the poll's
   anonymity batch (:mod:`services.polls.casting.mixing`).

Nothing on this path logs the subject, the client address or the voter tag.

If Redis is down or was flushed the gate answers "unknown" or "new", and the UNIQUE
constraint alone decides: nobody is ever counted twice.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from services.polls.casting.batching import GroupCommitter, RedisGate
from services.polls.casting.pooling import code_lookup, padded_length, seal_pooled
from services.polls.casting.sealing import SealedReceipt, open_seal, seal
from services.polls.casting.store import CastStore, PendingCast, WriteOutcome
from services.polls.errors import PollsError, conflict, not_found
from services.polls.polls.domain import ineligibility
from services.polls.polls.store import PollRecord, PollStore
from services.polls.service_secret import ServiceSecret
from shared.eligibility import age_on
from shared.identity.claims import Session
from shared.log.merkle import leaf_hash
from shared.log.receipt import tracking_code
from shared.log.service import IssuedReceipt, LogService
from shared.tally.ballot import BallotError, encode_entry, make_entry

__all__ = ("CastResult", "CastService", "Revocations", "age_band", "signed_out")

_BANDS = ((18, "<18"), (25, "18-24"), (35, "25-34"), (45, "35-44"), (55, "45-54"), (65, "55-64"))


def age_band(age: int) -> str:
    """Ten-year bands (coarse on purpose: analytics, not identification)."""
    for upper, band in _BANDS:
        if age < upper:
            return band
    return "65+"


@dataclass(frozen=True, slots=True)
class CastResult:
    receipt: IssuedReceipt


class Revocations(Protocol):
    """Sign-out as the casting path reads it
    (:class:`shared.identity.session_store.SessionStore`)."""

    def revocation_keys(self, sid: str) -> tuple[str, str]: ...

    async def revoked_given(self, sid: str, answer: tuple[bool, bool] | None) -> bool: ...


def signed_out() -> PollsError:
    return PollsError(
        401,
        "unauthenticated",
        "Sign-in required",
        "the session was signed out",
        headers={"WWW-Authenticate": 'Bearer realm="vmeste", error="invalid_token"'},
    )


def poll_not_open(poll: PollRecord) -> PollsError:
    return conflict(
        "poll-not-open",
        "Poll not open",
        f"The poll is {poll.status}; ballots are accepted from {poll.opens_at.isoformat()} "
        f"until {poll.closes_at.isoformat()}.",
        status=poll.status,
    )


class CastService:
    def __init__(
        self,
        *,
        logs: LogService,
        polls: PollStore,
        store: CastStore,
        gate: RedisGate,
        revocations: Revocations,
        secret: ServiceSecret,
        linger_s: float = 0.002,
    ) -> None:
        self._logs = logs
        self._polls = polls
        self._store = store
        self._gate = gate
        self._revocations = revocations
        self.secret = secret
        self._pad_lengths: dict[str, int] = {}
        self.committer: GroupCommitter[PendingCast, WriteOutcome] = GroupCommitter(
            store.write, linger_s=linger_s
        )

    async def cast(
        self,
        session: Session,
        poll_id: str,
        answers: Mapping[str, object],
        idempotency_key: str | None = None,
    ) -> CastResult:
        # A second-old read: the status read inside the commit's transaction is the authority.
        poll = await self._polls.recent(poll_id)
        if poll is None or poll.status == "draft":
            raise not_found(f"There is no poll {poll_id!r}.")
        now = dt.datetime.now(dt.UTC)
        if poll.status != "open" or not poll.opens_at <= now < poll.closes_at:
            raise poll_not_open(poll)
        refusal = ineligibility(session, poll)
        if refusal is not None:
            raise PollsError(
                403,
                "not-eligible",
                "Not eligible",
                refusal.reason,
                extra={"reason": refusal.code},
            )
        try:
            entry = make_entry(poll.definition, answers)
        except BallotError as exc:
            raise PollsError(
                422,
                "invalid-ballot",
                "Invalid answers",
                "Correct the listed answers and cast again.",
                extra={"errors": [{"path": i.path, "reason": i.reason} for i in exc.issues]},
            ) from None

        tag = self.secret.voter_tag(poll_id, session.sub)
        gate_key = f"vmeste:polls:voted:{poll_id}:{self.secret.gate_tag(poll_id, session.sub)}"
        expire_at = int(poll.closes_at.timestamp()) + 3600
        gate = await self._gate.claim(
            gate_key, expire_at, self._revocations.revocation_keys(session.sid)
        )
        # The API route leaves the revocation check to this round trip (the page form's was
        # checked already; checking again costs nothing more). If Redis could not say, the
        # database does, as for any other request.
        if await self._revocations.revoked_given(session.sid, gate.revocation):
            if gate.claimed:
                await self._gate.release(gate_key)
            raise signed_out()
        if gate.claimed is False:
            earlier = await self._earlier(poll_id, tag, idempotency_key)
            if earlier is not None:
                return earlier
            # Taken in Redis but not (yet) in the database: a concurrent cast of the same
            # voter, or one that failed. The UNIQUE constraint below decides.

        entry_bytes = encode_entry(entry)
        digest = leaf_hash(entry_bytes)
        accepted_at = now.replace(second=0, microsecond=0)
        pad_length = self._pad_lengths.get(poll_id)
        if pad_length is None:
            pad_length = self._pad_lengths[poll_id] = padded_length(poll.definition)
        pool_id = uuid.uuid4()
        sealed = seal(
            self.secret,
            poll_id,
            tag,
            SealedReceipt(
                entry_hash=digest, accepted_at=accepted_at, idempotency_key=idempotency_key
            ),
        )
        pending = PendingCast(
            poll_id=poll_id,
            voter_tag=tag,
            sealed=sealed,
            pool_id=pool_id,
            pooled=seal_pooled(self.secret, poll_id, pool_id, entry_bytes, pad_length),
            lookup=code_lookup(self.secret, poll_id, tracking_code(digest)),
            municipality=session.oktmo,
            age_band=age_band(age_on(session.birth_date, poll.opens_at.date())),
            hour=accepted_at.replace(minute=0),
        )
        try:
            outcome = await self.committer.submit(pending)
        except BaseException:
            await self._gate.release(gate_key)
            raise
        if outcome is WriteOutcome.DUPLICATE:
            earlier = await self._earlier(poll_id, tag, idempotency_key)
            if earlier is None:  # pragma: no cover - the UNIQUE row exists by definition
                raise conflict("already-voted", "Already voted", "You have already voted.")
            return earlier
        if outcome is WriteOutcome.POLL_NOT_OPEN:
            self._polls.forget_recent(poll_id)
            await self._gate.release(gate_key)
            raise poll_not_open((await self._polls.get(poll_id)) or poll)
        receipt = self._logs.issue_receipt(poll_id, digest, accepted_at)
        return CastResult(receipt=receipt)

    async def _earlier(
        self, poll_id: str, tag: str, idempotency_key: str | None
    ) -> CastResult | None:
        """The voter's original receipt again (same Idempotency-Key), or the 409 naming its
        tracking code; None if the database has no ballot of this voter."""
        sealed = await self._store.sealed_receipt(poll_id, tag)
        if sealed is None:
            return None
        original = open_seal(self.secret, poll_id, tag, sealed)
        receipt = self._logs.issue_receipt(poll_id, original.entry_hash, original.accepted_at)
        if idempotency_key is not None and original.idempotency_key == idempotency_key:
            return CastResult(receipt=receipt)
        raise conflict(
            "already-voted",
            "Already voted",
            "You have already voted in this poll; check your ballot with the tracking code.",
            tracking_code=receipt.tracking_code,
        )
