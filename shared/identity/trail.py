"""The registry's audit trail: who changed what in the registry, when, from what to what.

Every change of an organisation, a membership or an invitation is recorded in the same
transaction as the change itself, so the trail cannot miss one that took effect. A change
that changes nothing (granting again what is already held, saving an organisation as it is)
is not recorded: the development seed runs at every start.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from shared.identity.tables import RegistryChange

__all__ = (
    "CLI_ACTOR",
    "MAX_TRAIL_PAGE",
    "SEED_ACTOR",
    "ChangeRecord",
    "TrailPage",
    "list_changes",
    "record_change",
)

CLI_ACTOR = "cli"
"""The actor of changes made with ``vmeste roles`` (by whoever operates the platform)."""
SEED_ACTOR = "seed"
"""The actor of the development fixtures' organisations and memberships."""
MAX_TRAIL_PAGE = 100
"""The most changes one page of the trail holds."""


class ChangeRecord(msgspec.Struct, frozen=True, kw_only=True):
    """One change of the registry."""

    id: int
    at: dt.datetime
    actor: str
    """Pseudonymous subject of the admin who made it, ``cli`` or ``seed``."""
    action: str
    """organisation.create, organisation.update, membership.grant, membership.revoke,
    invitation.create, invitation.accept or invitation.withdraw."""
    organisation: str | None
    person: str | None
    """Pseudonymous subject of the member concerned."""
    before: dict[str, Any] | None
    after: dict[str, Any] | None


class TrailPage(msgspec.Struct, frozen=True, kw_only=True):
    """Changes, newest first; ``next_before`` asks for the page of older ones."""

    changes: tuple[ChangeRecord, ...]
    next_before: int | None


def _json(state: msgspec.Struct | dict[str, Any] | None) -> str | None:
    return None if state is None else msgspec.json.encode(state).decode()


async def record_change(
    actor: str,
    action: str,
    *,
    organisation: str | None = None,
    person: str | None = None,
    before: msgspec.Struct | dict[str, Any] | None = None,
    after: msgspec.Struct | dict[str, Any] | None = None,
) -> None:
    """Add one change; call it inside the transaction that makes the change."""
    await RegistryChange.insert(
        RegistryChange(
            at=dt.datetime.now(dt.UTC).replace(microsecond=0),
            actor=actor,
            action=action,
            organisation=organisation,
            person=person,
            before=_json(before),
            after=_json(after),
        )
    )


def _state(text: str | None) -> dict[str, Any] | None:
    return None if text is None else msgspec.json.decode(text, type=dict[str, Any])


async def list_changes(before: int | None = None, limit: int = 50) -> TrailPage:
    """Up to ``limit`` (≤ MAX_TRAIL_PAGE) changes older than the change ``before``."""
    limit = max(1, min(limit, MAX_TRAIL_PAGE))
    query = (
        RegistryChange.select()
        .order_by(RegistryChange._meta.primary_key, ascending=False)
        .limit(limit + 1)
    )
    if before is not None:
        query = query.where(RegistryChange._meta.primary_key < before)
    rows = await query
    records = tuple(
        ChangeRecord(
            id=int(r["id"]),
            at=r["at"],
            actor=r["actor"],
            action=r["action"],
            organisation=r["organisation"],
            person=r["person"],
            before=_state(r["before"]),
            after=_state(r["after"]),
        )
        for r in rows[:limit]
    )
    more = len(rows) > limit
    return TrailPage(changes=records, next_before=records[-1].id if more else None)
