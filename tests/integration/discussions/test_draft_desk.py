"""The official's draft page: new versions (Markdown or DOCX) with their history and the
comments made on each, attachments added and removed (the record of a removed one stays), and
responses corrected from the moderation page with the earlier text kept in view."""

from __future__ import annotations

import re
from typing import Any

import httpx
from litestar import Litestar

from shared.web.ui.csrf import CSRF_FIELD
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._forms import PAGE, csrf_token_of, send_form
from tests.integration.discussions._support import comment, moderate, open_period
from tests.unit.discussions._files import docx

PDF = b"%PDF-1.7\n%%EOF\n"
VERSION_2 = """# 1. Общие положения
Настоящее постановление устанавливает правила благоустройства и озеленения.

# 2. Озеленение
Вырубка деревьев запрещена.

# 3. Освещение
Дворы освещаются с заката до рассвета.
"""


async def _upload(
    client: httpx.AsyncClient,
    url: str,
    who: dict[str, str],
    files: dict[str, tuple[str, bytes, str]],
    **fields: str,
) -> httpx.Response:
    token = await csrf_token_of(client, who)
    return await client.post(
        url,
        data={CSRF_FIELD: token, **fields},
        files=files,
        headers={**who, **PAGE},
        follow_redirects=False,
    )


async def _versions(client: httpx.AsyncClient, draft_id: str) -> list[dict[str, Any]]:
    answer = await client.get(f"/api/v1/drafts/{draft_id}/versions")
    assert answer.status_code == 200, answer.text
    return list(answer.json())


async def test_an_official_publishes_versions_and_sees_the_comments_of_each(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft, period_id = await open_period(client, official)
        draft_id = draft["id"]
        first = await comment(client, period_id, people.citizen(), "К первой редакции.")
        assert first.status_code == 201
        assert (await moderate(client, official, first.json()["id"])).status_code == 201

        url = f"/manage/drafts/{draft_id}/versions"
        sent = await _upload(
            client,
            url,
            official,
            {"file": ("редакция 2.md", VERSION_2.encode(), "text/markdown")},
            note="Добавлен пункт об освещении",
        )
        assert sent.status_code == 303, sent.text
        assert sent.headers["location"] == f"/manage/drafts/{draft_id}?done=version#versions"
        versions = await _versions(client, draft_id)
        assert [(v["number"], v["sections"], v["comments"]) for v in versions] == [
            (1, 4, 1),
            (2, 3, 0),
        ]
        assert versions[1]["note"] == "Добавлен пункт об освещении"

        second = await comment(
            client, period_id, people.citizen(), "Ко второй редакции.", section="p3"
        )
        assert second.status_code == 201, second.text
        assert (await moderate(client, official, second.json()["id"])).status_code == 201
        assert [v["comments"] for v in await _versions(client, draft_id)] == [1, 1]

        desk = await client.get(f"/manage/drafts/{draft_id}", headers={**official, **PAGE})
        assert desk.status_code == 200
        assert re.findall(r'<tr data-version="(\d+)">', desk.text) == ["1", "2"]
        assert f'href="/manage/drafts/{draft_id}?version=1#sections"' in desk.text
        assert "Добавлен пункт об освещении" in desk.text
        assert ">вы<" in desk.text  # the uploader sees the version as theirs
        earlier = await client.get(
            f"/manage/drafts/{draft_id}?version=1", headers={**official, **PAGE}
        )
        assert 'data-shown-version="1"' in earlier.text
        assert "Газоны очищаются весной." in earlier.text
        assert "Дворы освещаются" not in earlier.text

        public = (await client.get(f"/discussions/{period_id}")).text
        assert 'data-comment-version="1"' in public
        assert 'data-comment-version="2"' in public
        assert "к редакции 2" in public

        sent = await _upload(
            client,
            url,
            official,
            {"file": ("редакция 3.docx", docx([(1, "1. Только пункт"), (0, "Текст.")]), "")},
        )
        assert sent.status_code == 303, sent.text
        api = await client.post(
            f"/api/v1/drafts/{draft_id}/versions/import-docx",
            files={"file": ("4.docx", docx([(1, "1. Пункт"), (1, "2. Ещё пункт")]), "")},
            data={"note": "Четвёртая"},
            headers=official,
        )
        assert api.status_code == 201, api.text
        assert api.json()["current_version"] == 4
        assert [(v["number"], v["sections"]) for v in await _versions(client, draft_id)] == [
            (1, 4),
            (2, 3),
            (3, 1),
            (4, 2),
        ]


async def test_a_version_upload_the_service_cannot_read_changes_nothing(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft, _ = await open_period(client, official)
        url = f"/manage/drafts/{draft['id']}/versions"
        for name, content, message in (
            ("a.pdf", PDF, "загружается из файла Markdown (.md) или DOCX"),
            ("a.md", "# 1. Текст".encode("cp1251"), "не в кодировке UTF-8"),
            ("a.docx", PDF, "Файл не принят"),
        ):
            refused = await _upload(client, url, official, {"file": (name, content, "")})
            assert refused.status_code in (415, 422), (name, refused.status_code)
            assert message in refused.text, name
        empty = await send_form(client, url, official, markdown="")
        assert empty.status_code == 422
        elsewhere = people.official(org="other-town", territory=("45380",))
        stranger = await send_form(client, url, elsewhere, markdown="# 1. Чужой текст")
        assert stranger.status_code == 403
        assert [v["number"] for v in await _versions(client, draft["id"])] == [1]


async def test_an_official_attaches_and_removes_a_file_whose_record_stays(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft, period_id = await open_period(client, official)
        draft_id = draft["id"]
        url = f"/manage/drafts/{draft_id}/attachments"
        sent = await _upload(
            client, url, official, {"file": ("записка.pdf", PDF, "application/pdf")}
        )
        assert sent.status_code == 303, sent.text
        refused = await _upload(client, url, official, {"file": ("макрос.pdf", b"MZ", "")})
        assert refused.status_code == 415
        attachments = (await client.get(f"/api/v1/drafts/{draft_id}")).json()["attachments"]
        assert [(a["filename"], a["removed_at"]) for a in attachments] == [("записка.pdf", None)]
        attachment = attachments[0]
        download = f"/api/v1/drafts/{draft_id}/attachments/{attachment['id']}"
        assert (await client.get(download)).content == PDF

        removed = await send_form(client, f"{url}/{attachment['id']}/remove", official)
        assert removed.status_code == 303, removed.text
        assert removed.headers["location"].endswith("?done=removed#attachments")
        after = (await client.get(f"/api/v1/drafts/{draft_id}")).json()["attachments"]
        assert after[0]["sha256"] == attachment["sha256"]
        assert after[0]["removed_at"] is not None
        gone = await client.get(download)
        assert gone.status_code == 410
        assert gone.json()["type"].endswith("/attachment-removed")
        again = await client.delete(download, headers=official)
        assert again.status_code == 409
        desk = (await client.get(f"/manage/drafts/{draft_id}", headers={**official, **PAGE})).text
        assert "data-removed" in desk
        assert "<del>записка.pdf</del>" in (await client.get(f"/discussions/{period_id}")).text

        by_api = await client.post(
            f"/api/v1/drafts/{draft_id}/attachments",
            files={"file": ("схема.pdf", PDF, "application/pdf")},
            headers=official,
        )
        assert by_api.status_code == 201
        elsewhere = people.official(org="other-town", territory=("45380",))
        path = f"/api/v1/drafts/{draft_id}/attachments/{by_api.json()['id']}"
        assert (await client.delete(path, headers=elsewhere)).status_code == 403
        deleted = await client.delete(path, headers=official)
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["removed_at"] is not None


async def test_an_official_corrects_a_response_from_the_moderation_page(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        _, period_id = await open_period(client, official)
        made = await comment(client, period_id, people.citizen(), "Нужны скамейки.")
        comment_id = made.json()["id"]
        assert (await moderate(client, official, comment_id)).status_code == 201
        answered = await send_form(
            client,
            f"/responses/{comment_id}",
            official,
            disposition="rejected",
            justification="Не предусмотрено бюджетом.",
        )
        assert answered.status_code == 303
        queue = (await client.get("/moderation", headers={**official, **PAGE})).text
        assert f'data-correct="{comment_id}"' in queue

        url = f"/responses/{comment_id}/correction"
        corrected = await send_form(
            client,
            url,
            official,
            disposition="accepted",
            justification="Скамейки включены в план.",
        )
        assert corrected.status_code == 303
        assert corrected.headers["location"] == "/moderation?corrected=1#answered"
        unchanged = await send_form(
            client,
            url,
            official,
            disposition="accepted",
            justification="Скамейки включены в план.",
        )
        # The same response again is refused on the page itself, saying why; nothing changes.
        assert unchanged.status_code == 400, unchanged.text
        assert "Исправление ничего не меняет" in unchanged.text
        assert "data-refused" in unchanged.text
        wrong = await send_form(client, url, official, disposition="maybe", justification="Да.")
        assert wrong.status_code == 400
        assert "выберите один из предложенных вариантов" in wrong.text

        listed = (await client.get(f"/api/v1/periods/{period_id}/comments")).json()["items"]
        assert (listed[0]["disposition"], listed[0]["justification"]) == (
            "accepted",
            "Скамейки включены в план.",
        )
        assert [(e["disposition"], e["justification"]) for e in listed[0]["earlier_responses"]] == [
            ("rejected", "Не предусмотрено бюджетом.")
        ]
        public = (await client.get(f"/discussions/{period_id}")).text
        assert "<del>Не предусмотрено бюджетом.</del>" in public
        assert "Исправлено" in public
