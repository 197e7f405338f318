"""Drafts: sections from Markdown and DOCX, attachments refused by content or size."""

from __future__ import annotations

from litestar import Litestar

from tests.harness.asgi import app_client
from tests.integration.discussions._support import create_draft
from tests.integration.discussions.conftest import People
from tests.unit.discussions._files import docx, zip_bomb_docx, zip_file

PDF = b"%PDF-1.7\n%%EOF\n"


async def test_attachments_are_checked_by_content_and_size(app: Litestar, people: People) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        url = f"/api/v1/drafts/{draft['id']}/attachments"

        async def upload(name: str, data: bytes) -> int:
            response = await client.post(url, files={"file": (name, data)}, headers=official)
            return response.status_code

        assert await upload("a.pdf", PDF) == 201
        assert await upload("a.docx", docx([(1, "Статья 1"), (0, "Текст")])) == 201
        assert await upload("zip.pdf", zip_file()) == 415
        assert await upload("bomb.docx", zip_bomb_docx()) == 415
        assert await upload("big.pdf", PDF + b"0" * (10 * 1024 * 1024)) == 413
        assert await upload("a.exe", PDF) == 415
        listed = (await client.get(f"/api/v1/drafts/{draft['id']}")).json()["attachments"]
        assert [a["filename"] for a in listed] == ["a.pdf", "a.docx"]
        download = await client.get(f"{url}/{listed[0]['id']}")
        assert download.content == PDF
        assert download.headers["x-content-sha256"] == listed[0]["sha256"]


async def test_draft_imported_from_docx_has_numbered_sections(
    app: Litestar, people: People
) -> None:
    official = people.official()
    document = docx([(1, "Общие положения"), (0, "Текст."), (2, "Сфера"), (1, "Статья 5. Итог")])
    async with app_client(app) as client:
        response = await client.post(
            "/api/v1/drafts/import-docx",
            data={"organisation": "kazan", "title": "Проект", "kind": "решение"},
            files={"file": ("проект.docx", document)},
            headers=official,
        )
        assert response.status_code == 201, response.text
        sections = response.json()["sections"]
        assert [(s["number"], s["anchor"]) for s in sections] == [
            ("1", "p1"),
            ("1.1", "p1-1"),
            ("5", "p5"),
        ]
        other = await client.post(
            "/api/v1/drafts",
            json={"organisation": "kazan", "title": "x", "kind": "y", "markdown": "# A"},
            headers=people.official("other"),
        )
        assert other.status_code == 403
