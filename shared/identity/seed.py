"""Development seed: the fixture organisations and the fixture people's memberships.

Idempotent (upserts only), so every start of every service may run it.
"""

from __future__ import annotations

from shared.identity.fixtures import DEV_ORGANISATIONS, fixture_people
from shared.identity.pseudonym import pseudonym
from shared.identity.registry import grant, upsert_organisation

__all__ = ("seed_development",)


async def seed_development(pepper: bytes) -> None:
    for org in DEV_ORGANISATIONS:
        await upsert_organisation(org.slug, org.name, org.territory, org.embed_origins)
    for fixture in fixture_people():
        sub = pseudonym(pepper, fixture.person.oid)
        for membership in fixture.memberships:
            await grant(sub, membership.role, membership.organisation, membership.permissions)
