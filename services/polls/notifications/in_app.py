"""The in-app list: a person's notifications, newest first, and how many are unread."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec

from services.polls.notifications.tables import Notification
from services.polls.notifications.texts import Links, Rendered, render

__all__ = ("InAppList", "ListedNotification")

PAGE = 50


class ListedNotification(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    text: Rendered
    created_at: dt.datetime
    unread: bool


class InAppList:
    def __init__(self, links: Links) -> None:
        self.links = links

    async def latest(self, sub: str, language: str) -> list[ListedNotification]:
        rows = await (
            Notification.select()
            .where(Notification.sub == sub)
            .order_by(Notification.created_at, ascending=False)
            .limit(PAGE)
        )
        return [self._listed(row, language) for row in rows]

    def _listed(self, row: dict[str, Any], language: str) -> ListedNotification:
        facts = msgspec.json.decode(str(row["payload"]))
        return ListedNotification(
            id=str(row["id"]),
            kind=row["kind"],
            text=render(row["kind"], facts, language, self.links),
            created_at=row["created_at"],
            unread=row["read_at"] is None,
        )

    async def unread(self, sub: str) -> int:
        count: int = await Notification.count().where(
            (Notification.sub == sub) & Notification.read_at.is_null()
        )
        return count

    async def mark_all_read(self, sub: str, now: dt.datetime) -> None:
        await Notification.update({Notification.read_at: now}).where(
            (Notification.sub == sub) & Notification.read_at.is_null()
        )
