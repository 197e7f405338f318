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


async def test_a_new_versions_text_replaces_the_old_on_the_page_in_each_language(
    app: Litestar, people: People
) -> None:
    """The draft's text is rendered once per version and reused: a new version with the same
    section anchors but new words shows them at once, and the page's own words follow the
    language asked for."""
    official = people.official()
    async with app_client(app) as client:
        draft, period_id = await open_period(client, official)
        url = f"/discussions/{period_id}"
        for lang, position, contents in (
            ("ru", "Позиция органа власти", "<h2>Пункты</h2>"),
            ("en", "Position of the authority", "<h2>Sections</h2>"),
        ):
            shown = await client.get(f"{url}?lang={lang}", headers=PAGE)
            assert "Настоящее постановление устанавливает правила" in shown.text
            assert position in shown.text
            assert contents in shown.text
        replaced = await client.post(
            f"/api/v1/drafts/{draft['id']}/versions",
            json={
                "markdown": "# 1. Общие положения\nНовая редакция первого пункта.\nВторая строка.",
                "note": "Переписан первый пункт",
            },
            headers=official,
        )
        assert replaced.status_code == 201, replaced.text
        for lang in ("ru", "en"):
            shown = await client.get(f"{url}?lang={lang}", headers=PAGE)
            assert "Новая редакция первого пункта.<br>Вторая строка." in shown.text
            assert "Настоящее постановление устанавливает правила" not in shown.text
            assert "Газоны очищаются весной" not in shown.text
