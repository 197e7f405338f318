"""Invitation links: an admin grants a role to whoever opens the link signed in.

An admin rarely knows a new official's pseudonymous ``sub`` (it is derived from the ESIA oid
with the platform pepper, and nobody should handle oids). The link carries a random secret of
which only the hash is stored; it is bound to one grant (role, organisation, permissions),
works once and expires. Accepting it grants the role to the signed-in person's ``sub`` in the
same transaction that marks the link used, so two people racing for one link cannot both win.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

import msgspec

from shared.identity.registry import (
    MembershipRecord,
    RegistryError,
    check_grant,
    grant,
    organisation_id,
)
from shared.identity.tables import Invitation
from shared.identity.trail import record_change

__all__ = (
    "DEFAULT_INVITATION_HOURS",
    "MAX_INVITATION_HOURS",
    "InvitationError",
    "InvitationRecord",
    "IssuedInvitation",
    "accept_invitation",
    "find_invitation",
    "issue_invitation",
    "list_invitations",
    "withdraw_invitation",
)

DEFAULT_INVITATION_HOURS = 72
MAX_INVITATION_HOURS = 14 * 24
_PLACEHOLDER_SUB = "0" * 64
"""Stands for the invitee while the grant is checked before anyone accepts it."""


class InvitationError(Exception):
    """The link grants nothing: unknown, used, withdrawn or expired (``code`` says which)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


class InvitationRecord(msgspec.Struct, frozen=True, kw_only=True):
    """An invitation without its secret."""

    id: int
    role: str
    organisation: str | None
    permissions: tuple[str, ...]
    created_by: str
    created_at: dt.datetime
    expires_at: dt.datetime
    accepted_by: str | None
    accepted_at: dt.datetime | None
    withdrawn_at: dt.datetime | None

    @property
    def state(self) -> str:
        """pending, accepted, withdrawn or expired."""
        if self.accepted_at is not None:
            return "accepted"
        if self.withdrawn_at is not None:
            return "withdrawn"
        if self.expires_at <= dt.datetime.now(dt.UTC):
            return "expired"
        return "pending"


class IssuedInvitation(msgspec.Struct, frozen=True, kw_only=True):
    """A new invitation and its secret, shown once to the admin who made it."""

    invitation: InvitationRecord
    token: str


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _trail_state(record: InvitationRecord) -> dict[str, Any]:
    return {
        "invitation": record.id,
        "role": record.role,
        "organisation": record.organisation,
        "permissions": list(record.permissions),
        "expires_at": record.expires_at.isoformat(),
    }


_COLUMNS = (
    Invitation._meta.primary_key.as_alias("invitation_id"),
    Invitation.role,
    Invitation.organisation.slug.as_alias("org"),
    Invitation.permissions,
    Invitation.created_by,
    Invitation.created_at,
    Invitation.expires_at,
    Invitation.accepted_by,
    Invitation.accepted_at,
    Invitation.withdrawn_at,
)


def _record(row: dict[str, Any]) -> InvitationRecord:
    return InvitationRecord(
        id=int(row["invitation_id"]),
        role=row["role"],
        organisation=row["org"],
        permissions=tuple(row["permissions"]),
        created_by=row["created_by"],
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        accepted_by=row["accepted_by"],
        accepted_at=row["accepted_at"],
        withdrawn_at=row["withdrawn_at"],
    )


async def _one(condition: Any) -> InvitationRecord | None:
    row = await Invitation.select(*_COLUMNS).where(condition).first()
    return None if row is None else _record(row)


async def issue_invitation(
    role: str,
    organisation: str | None,
    permissions: Iterable[str],
    *,
    hours: int = DEFAULT_INVITATION_HOURS,
    actor: str,
) -> IssuedInvitation:
    """A new link granting ``role``; RegistryError if the grant itself would be refused."""
    perms = tuple(sorted(set(permissions)))
    if not 1 <= hours <= MAX_INVITATION_HOURS:
        raise RegistryError(
            f"an invitation lasts 1 to {MAX_INVITATION_HOURS} hours", code="bad-expiry"
        )
    # The same checks a grant makes, now rather than when someone accepts.
    check_grant(_PLACEHOLDER_SUB, role, organisation, perms)
    org_id = await organisation_id(organisation)
    token = secrets.token_urlsafe(24)
    now = _now().replace(microsecond=0)
    async with Invitation._meta.db.transaction():
        made = await Invitation.insert(
            Invitation(
                token_hash=_hash(token),
                organisation=org_id,
                role=role,
                permissions=list(perms),
                created_by=actor,
                created_at=now,
                expires_at=now + dt.timedelta(hours=hours),
            )
        ).returning(Invitation._meta.primary_key)
        record = await _one(Invitation._meta.primary_key == made[0]["id"])
        assert record is not None  # inserted just above, in this transaction
        await record_change(
            actor, "invitation.create", organisation=organisation, after=_trail_state(record)
        )
    return IssuedInvitation(invitation=record, token=token)


async def find_invitation(token: str) -> InvitationRecord | None:
    """The invitation of a link's secret, whatever its state."""
    return await _one(Invitation.token_hash == _hash(token))


async def list_invitations(
    organisation: str | None = None, *, platform: bool = False
) -> list[InvitationRecord]:
    """Invitations of ``organisation`` (or the platform-wide ones), newest first."""
    query = Invitation.select(*_COLUMNS).order_by(Invitation._meta.primary_key, ascending=False)
    if organisation is not None:
        query = query.where(Invitation.organisation.slug == organisation)
    if platform:
        query = query.where(Invitation.organisation.is_null())
    return [_record(r) for r in await query.limit(200)]


def _refusal(record: InvitationRecord | None) -> InvitationError:
    if record is None:
        return InvitationError("invitation-unknown", "this invitation link is not valid")
    messages = {
        "accepted": ("invitation-used", "this invitation link has been used already"),
        "withdrawn": ("invitation-withdrawn", "this invitation was withdrawn by an admin"),
        "expired": ("invitation-expired", "this invitation link has expired: ask for a new one"),
    }
    code, message = messages.get(record.state, ("invitation-unknown", "not valid"))
    return InvitationError(code, message)


async def accept_invitation(token: str, sub: str) -> MembershipRecord:
    """Grant the invitation's role to ``sub`` and use the link up, in one transaction."""
    token_hash = _hash(token)
    now = _now()
    async with Invitation._meta.db.transaction():
        # Conditional on the link being unused, unwithdrawn and unexpired: of two people
        # accepting at once, one wins.
        taken = await (
            Invitation.update(
                {Invitation.accepted_by: sub, Invitation.accepted_at: now.replace(microsecond=0)}
            )
            .where(
                (Invitation.token_hash == token_hash)
                & Invitation.accepted_at.is_null()
                & Invitation.withdrawn_at.is_null()
                & (Invitation.expires_at > now)
            )
            .returning(Invitation._meta.primary_key)
        )
        if not taken:
            raise _refusal(await find_invitation(token))
        record = await _one(Invitation._meta.primary_key == taken[0]["id"])
        assert record is not None  # updated just above, in this transaction
        await record_change(
            sub,
            "invitation.accept",
            organisation=record.organisation,
            person=sub,
            before=_trail_state(record),
        )
        return await grant(sub, record.role, record.organisation, record.permissions, actor=sub)


async def withdraw_invitation(invitation_id: int, *, actor: str) -> InvitationRecord | None:
    """Withdraw an unused link; None if there is no such pending invitation."""
    async with Invitation._meta.db.transaction():
        done = await (
            Invitation.update({Invitation.withdrawn_at: _now().replace(microsecond=0)})
            .where(
                (Invitation._meta.primary_key == invitation_id)
                & Invitation.accepted_at.is_null()
                & Invitation.withdrawn_at.is_null()
            )
            .returning(Invitation._meta.primary_key)
        )
        if not done:
            return None
        record = await _one(Invitation._meta.primary_key == invitation_id)
        assert record is not None
        await record_change(
            actor,
            "invitation.withdraw",
            organisation=record.organisation,
            before=_trail_state(record),
        )
    return record
