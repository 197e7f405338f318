"""Drafts' rules over an in-memory store: whose draft, and how many versions it keeps."""

from __future__ import annotations

import pytest

from services.discussions.drafts.domain import MAX_VERSIONS
from services.discussions.drafts.importers import ParsedSection
from services.discussions.errors import ConflictError, ForbiddenError, InvalidError
from tests.unit.discussions._fakes import NOW, ORG, World

SECTIONS = [ParsedSection("1", "p2", "Общие положения", "Текст.")]


async def test_a_new_version_becomes_the_current_one_and_the_earlier_stays() -> None:
    world = World.empty()
    draft_id = world.add_draft(sections=("p1",))
    detail = await world.drafts_service().new_version(
        draft_id, managed=[ORG], note="Учли замечания", sections=SECTIONS, now=NOW
    )
    assert (detail.version, detail.current_version, detail.versions) == (2, 2, [1, 2])
    assert [s.anchor for s in detail.sections] == ["p2"]
    earlier = await world.drafts_service().get(draft_id, version=1)
    assert {s.anchor for s in earlier.sections} == {"p1"}


async def test_only_the_drafts_organisation_publishes_its_versions() -> None:
    world = World.empty()
    draft_id = world.add_draft()
    with pytest.raises(ForbiddenError) as refused:
        await world.drafts_service().new_version(
            draft_id, managed=["other"], note="", sections=SECTIONS, now=NOW
        )
    assert refused.value.slug == "not-your-draft"
    assert world.drafts.rows[draft_id]["current_version"] == 1


async def test_a_draft_keeps_a_bounded_number_of_versions() -> None:
    world = World.empty()
    draft_id = world.add_draft()
    world.drafts.rows[draft_id]["current_version"] = MAX_VERSIONS
    with pytest.raises(ConflictError) as refused:
        await world.drafts_service().new_version(
            draft_id, managed=[ORG], note="", sections=SECTIONS, now=NOW
        )
    assert refused.value.slug == "too-many-versions"


async def test_a_draft_refuses_text_the_database_cannot_hold() -> None:
    world = World.empty()
    with pytest.raises(InvalidError) as refused:
        await world.drafts_service().create(
            organisation=ORG,
            managed=[ORG],
            title="О\x00 благоустройстве",
            kind="решение",
            summary="",
            official_position="",
            sections=SECTIONS,
            now=NOW,
        )
    assert refused.value.slug == "nul-character"
    assert world.drafts.rows == {}
