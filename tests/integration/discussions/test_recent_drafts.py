"""The draft a discussion's page shows is read at most once a second: another replica's change
shows within that time, this replica's own change at once."""

from __future__ import annotations

import datetime as dt
import uuid

from litestar import Litestar

from services.discussions.drafts.domain import DraftsService
from services.discussions.drafts.importers import ParsedSection
from services.discussions.drafts.tables import Draft
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._forms import PAGE
from tests.integration.discussions._support import open_period

_SECTION = ParsedSection(number="1", anchor="p1", heading="Общие положения", body="Текст.")


async def test_a_replicas_own_changes_show_at_once_anothers_once_the_copy_is_old(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft, period_id = await open_period(client, official)
        draft_id = uuid.UUID(draft["id"])
        page = await client.get(f"/discussions/{period_id}", headers=PAGE)
        assert draft["title"] in page.text

        # Nothing expires within this test: only a change made here drops the copy.
        drafts = DraftsService(recent_s=3600.0)
        first = await drafts.recent(draft_id)
        await Draft.update({Draft.title: "Переименован другой репликой"}).where(
            Draft.id == draft_id
        )
        assert (await drafts.recent(draft_id)).title == draft["title"]

        await drafts.new_version(
            draft_id,
            managed=[draft["organisation"]],
            note="Вторая редакция",
            sections=[_SECTION],
            now=dt.datetime.now(dt.UTC),
        )
        second = await drafts.recent(draft_id)
        assert second.version == first.version + 1
        assert second.title == "Переименован другой репликой"
        assert [s.heading for s in second.sections] == ["Общие положения"]

        attached = await drafts.attach(
            draft_id,
            managed=[draft["organisation"]],
            filename="plan.pdf",
            data=b"%PDF-1.4 plan",
            now=dt.datetime.now(dt.UTC),
        )
        assert [a.id for a in (await drafts.recent(draft_id)).attachments] == [attached.id]
        await drafts.remove_attachment(
            draft_id, attached.id, managed=[draft["organisation"]], now=dt.datetime.now(dt.UTC)
        )
        removed = (await drafts.recent(draft_id)).attachments
        assert [a.removed_at is not None for a in removed] == [True]
