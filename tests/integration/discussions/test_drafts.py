"""Drafts: sections from Markdown and DOCX, attachments refused by content or size."""

from __future__ import annotations

import re
from typing import Any

import pytest
from litestar import Litestar

from shared.web.ui.csrf import CSRF_FIELD
from tests.harness.asgi import app_client
from tests.harness.people import People
from tests.integration.discussions._support import create_draft
from tests.unit.discussions._files import (
    bzip2_docx,
    docx,
    docx_with_document_xml,
    encrypted_docx,
    lying_docx,
    zip_bomb_docx,
    zip_file,
)

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
        assert await upload("bomb.docx", zip_bomb_docx()) == 413
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


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_ENTITY = (
    '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE w:document [<!ENTITY x "x">]>'
    f'<w:document xmlns:w="{_W}"><w:body><w:p><w:r><w:t>&x;</w:t></w:r></w:p></w:body>'
    "</w:document>"
).encode("utf-16")
HOSTILE_DOCUMENTS = [
    ("encrypted.docx", encrypted_docx(), 415, "encrypted-document"),
    ("bzip2.docx", bzip2_docx(), 415, "unsupported-package"),
    ("bomb.docx", zip_bomb_docx(), 413, "document-expands-too-far"),
    ("liar.docx", lying_docx("word/document.xml", 30 * 1024 * 1024), 422, "damaged-document"),
    ("broken.docx", docx_with_document_xml(b"<w:document><w:body>"), 422, "malformed-xml"),
    ("entities.docx", docx_with_document_xml(_ENTITY), 422, "xml-dtd-refused"),
]


def _refused(response: Any, status: int, slug: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/" + slug), problem
    assert problem["title"]
    assert problem["detail"]


@pytest.mark.parametrize(("name", "data", "status", "slug"), HOSTILE_DOCUMENTS)
async def test_hostile_docx_is_a_problem_and_creates_no_draft(
    app: Litestar, people: People, name: str, data: bytes, status: int, slug: str
) -> None:
    official = people.official()
    async with app_client(app) as client:
        response = await client.post(
            "/api/v1/drafts/import-docx",
            data={"organisation": "kazan", "title": "Проект", "kind": "решение"},
            files={"file": (name, data)},
            headers=official,
        )
        _refused(response, status, slug)
        assert (await client.get("/api/v1/drafts")).json()["items"] == []


@pytest.mark.parametrize(("name", "data", "status", "slug"), HOSTILE_DOCUMENTS[:3])
async def test_hostile_attachment_is_a_problem_and_attaches_nothing(
    app: Litestar, people: People, name: str, data: bytes, status: int, slug: str
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        response = await client.post(
            f"/api/v1/drafts/{draft['id']}/attachments",
            files={"file": (name, data)},
            headers=official,
        )
        _refused(response, status, slug)
        assert (await client.get(f"/api/v1/drafts/{draft['id']}")).json()["attachments"] == []


@pytest.mark.parametrize(
    ("body", "slug"),
    [
        ({"markdown": "# 1. Заголовок\nтекст с \x00 внутри"}, "nul-character"),
        ({"markdown": "# " + "Я" * 501}, "heading-too-long"),
        ({"markdown": "# " + "1" * 5000 + ". Пункт"}, "section-number-too-long"),
        ({"markdown": "".join(f"# {n}. Пункт\n" for n in range(1, 2002))}, "too-many-sections"),
        ({"sections": [{"number": "1" * 40, "heading": "Пункт"}]}, "section-number-too-long"),
        ({"markdown": "# 1. Пункт", "title": "Проект\x00"}, "nul-character"),
    ],
    ids=["nul", "long-heading", "huge-number", "too-many", "long-number", "nul-title"],
)
async def test_draft_text_the_database_cannot_hold_is_a_problem_not_a_crash(
    app: Litestar, people: People, body: dict[str, Any], slug: str
) -> None:
    official = people.official()
    async with app_client(app) as client:
        response = await client.post(
            "/api/v1/drafts",
            json={"organisation": "kazan", "title": "Проект", "kind": "решение", **body},
            headers=official,
        )
        _refused(response, 400, slug)
        assert (await client.get("/api/v1/drafts")).json()["items"] == []


async def test_a_new_version_with_a_nul_in_its_note_is_a_problem(
    app: Litestar, people: People
) -> None:
    official = people.official()
    async with app_client(app) as client:
        draft = await create_draft(client, official)
        response = await client.post(
            f"/api/v1/drafts/{draft['id']}/versions",
            json={"markdown": "# 1. Пункт", "note": "\x00"},
            headers=official,
        )
        _refused(response, 400, "nul-character")
        assert (await client.get(f"/api/v1/drafts/{draft['id']}")).json()["versions"] == [1]


@pytest.mark.parametrize(
    ("markdown", "russian"),
    [
        ("# 1. А\n# 1. Б\n", "одинаковый номер"),
        ("# 1. Пункт\nтекст с \x00 внутри", "символ NUL"),
        ("# " + "Я" * 501, "не длиннее 500 символов"),
    ],
    ids=["duplicate-anchor", "nul", "long-heading"],
)
async def test_the_draft_form_shows_a_refused_text_with_the_form_in_the_page_language(
    app: Litestar, people: People, markdown: str, russian: str
) -> None:
    page = {**people.official(), "accept": "text/html", "accept-language": "ru"}
    async with app_client(app) as client:
        form = await client.get("/manage/drafts/new", headers=page)
        assert form.status_code == 200, form.text
        token = re.search(rf'name="{CSRF_FIELD}" value="([^"]+)"', form.text)
        assert token is not None
        sent = await client.post(
            "/manage/drafts/new",
            data={
                CSRF_FIELD: token.group(1),
                "organisation": "kazan",
                "title": "Проект правил",
                "kind": "решение",
                "markdown": markdown,
            },
            headers=page,
        )
        assert sent.status_code == 400, sent.text
        assert russian in sent.text
        assert 'value="Проект правил"' in sent.text
        assert (await client.get("/api/v1/drafts")).json()["items"] == []
