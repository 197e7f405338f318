"""Steps most discussion tests take: a draft, an open period, comments."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx

DRAFT_MARKDOWN = """# 1. Общие положения
Настоящее постановление устанавливает правила благоустройства.

# 2. Озеленение
## 2.1 Деревья
Вырубка деревьев допускается по разрешению.

## 2.2 Газоны
Газоны очищаются весной.
"""


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def create_draft(client: httpx.AsyncClient, official: dict[str, str]) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/drafts",
        json={
            "organisation": "kazan",
            "title": "О правилах благоустройства",
            "kind": "постановление",
            "summary": "Новые правила благоустройства города.",
            "official_position": "Начальник управления благоустройства",
            "markdown": DRAFT_MARKDOWN,
        },
        headers=official,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def wait_status(
    client: httpx.AsyncClient, period_id: str, status: str, within: float = 10.0
) -> dict[str, Any]:
    deadline = asyncio.get_running_loop().time() + within
    while True:
        period = dict((await client.get(f"/api/v1/periods/{period_id}")).json())
        if period["status"] == status:
            return period
        assert asyncio.get_running_loop().time() < deadline, period
        await asyncio.sleep(0.05)


async def announce_period(
    client: httpx.AsyncClient,
    official: dict[str, str],
    draft_id: str,
    *,
    starts_in: float = -1.0,
    ends_in: float = 3600.0,
    eligibility: dict[str, Any] | None = None,
) -> str:
    response = await client.post(
        f"/api/v1/drafts/{draft_id}/periods",
        json={
            "starts_at": (now() + dt.timedelta(seconds=starts_in)).isoformat(),
            "ends_at": (now() + dt.timedelta(seconds=ends_in)).isoformat(),
            "eligibility": eligibility or {"min_age": 14},
        },
        headers=official,
    )
    assert response.status_code == 201, response.text
    period_id = str(response.json()["id"])
    announced = await client.post(f"/api/v1/periods/{period_id}/announce", headers=official)
    assert announced.status_code == 201, announced.text
    return period_id


async def open_period(
    client: httpx.AsyncClient,
    official: dict[str, str],
    *,
    ends_in: float = 3600.0,
    eligibility: dict[str, Any] | None = None,
) -> tuple[dict[str, Any], str]:
    draft = await create_draft(client, official)
    period_id = await announce_period(
        client, official, draft["id"], ends_in=ends_in, eligibility=eligibility
    )
    await wait_status(client, period_id, "open")
    return draft, period_id


async def comment(
    client: httpx.AsyncClient,
    period_id: str,
    citizen: dict[str, str],
    text: str = "Предлагаю сохранить деревья во дворах.",
    *,
    section: str = "",
    stance: str = "object",
    proposed_wording: str = "",
) -> httpx.Response:
    return await client.post(
        f"/api/v1/periods/{period_id}/comments",
        json={
            "section": section,
            "stance": stance,
            "text": text,
            "proposed_wording": proposed_wording,
        },
        headers=citizen,
    )


async def moderate(
    client: httpx.AsyncClient,
    official: dict[str, str],
    comment_id: str,
    decision: str = "publish",
    reason: str | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"decision": decision}
    if reason is not None:
        body["reason"] = reason
    return await client.post(
        f"/api/v1/comments/{comment_id}/moderation", json=body, headers=official
    )
