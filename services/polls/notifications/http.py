"""HTTP endpoints of notifications: my in-app list (API) and the inbox of discussions'
events (service to service, signed; not routed by the ingress)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import NamedDependency

from services.polls.notifications.in_app import InAppList
from services.polls.notifications.inbox import NotificationInbox
from shared.identity import Session
from shared.web.openapi import problems
from shared.web.ui.i18n import choose_language

__all__ = ("InboxController", "MyNotifications", "MyNotificationsController", "NotificationView")


class NotificationView(msgspec.Struct, frozen=True, kw_only=True):
    id: str
    kind: str
    """response, poll_opened or result."""
    text: str
    """In the request's language (``?lang=ru|en``, the language cookie, else Russian)."""
    link: str
    created_at: dt.datetime
    unread: bool


class MyNotifications(msgspec.Struct, frozen=True, kw_only=True):
    unread: int
    items: list[NotificationView]
    """The latest 50, newest first."""


class MyNotificationsController(Controller):
    path = "/api/v1/me/notifications"
    tags = ["notifications"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/")
    async def mine(
        self,
        request: Request[Any, Any, Any],
        session: NamedDependency[Session],
        in_app: NamedDependency[InAppList],
    ) -> MyNotifications:
        """My in-app notifications and how many are unread."""
        language, _ = choose_language(request)
        items = await in_app.latest(session.sub, language)
        return MyNotifications(
            unread=await in_app.unread(session.sub),
            items=[
                NotificationView(
                    id=n.id,
                    kind=n.kind,
                    text=n.text.subject,
                    link=n.text.link,
                    created_at=n.created_at,
                    unread=n.unread,
                )
                for n in items
            ],
        )

    @post("/read", status_code=204)
    async def read_all(
        self, session: NamedDependency[Session], in_app: NamedDependency[InAppList]
    ) -> None:
        """Mark all my notifications read."""
        await in_app.mark_all_read(session.sub, dt.datetime.now(dt.UTC))


class InboxController(Controller):
    path = "/internal/notifications"
    tags = ["notifications"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/events", status_code=204, responses=problems(400, 401))
    async def receive(
        self, request: Request[Any, Any, Any], inbox: NamedDependency[NotificationInbox]
    ) -> None:
        """An event of the discussions service, signed by the Standard Webhooks scheme
        under the notifications secret; recorded once per webhook-id."""
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        await inbox.receive(headers, body, dt.datetime.now(dt.UTC))
