"""What the API and the pages show of the registry: organisations with their municipalities'
names, and when a change reaches the person concerned."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request

from shared.identity.admin.schemas import OrganisationOut, TerritoryCode
from shared.identity.registry import OrganisationRecord
from shared.identity.territory.store import MAX_CODES, MunicipalityRecord, TerritoryStore

__all__ = ("invitation_url", "organisation_views", "session_minutes", "takes_effect")


async def organisation_views(
    store: TerritoryStore, records: Sequence[OrganisationRecord]
) -> list[OrganisationOut]:
    """The organisations, each OKTMO code with its municipality's name (one lookup for all)."""
    codes = list(dict.fromkeys(c for r in records for c in r.territory))
    named: dict[str, MunicipalityRecord] = {}
    for start in range(0, len(codes), MAX_CODES):  # the store answers so many at a time
        named.update(await store.municipalities(codes[start : start + MAX_CODES]))
    return [
        OrganisationOut(
            slug=r.slug,
            name=r.name,
            territory=tuple(
                TerritoryCode(oktmo=c, name=named[c].name if c in named else None)
                for c in r.territory
            ),
            embed_origins=r.embed_origins,
        )
        for r in records
    ]


def session_minutes(request: Request[Any, Any, Any]) -> int:
    """How long a session token lives: roles are read from the registry when one is issued."""
    identity = request.app.state.identity
    return int(identity.tokens.lifetime.total_seconds() // 60)


def takes_effect(request: Request[Any, Any, Any]) -> str:
    return (
        "at the person's next sign-in or session refresh: at most "
        f"{session_minutes(request)} minutes after the change"
    )


def invitation_url(request: Request[Any, Any, Any], token: str) -> str:
    """The link to send: under the service's public URL (the sign-in component's)."""
    ui = request.app.state.get("ui")
    base = ui.url_of(ui.service) if ui is not None else str(request.base_url).rstrip("/")
    return f"{base}/invitations/{token}"
