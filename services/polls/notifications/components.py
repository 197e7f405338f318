"""Everything notifications add to the polls app, assembled in one call."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import NamedTuple

from litestar import Litestar

from services.polls.notifications.delivery import NotificationDelivery
from services.polls.notifications.in_app import InAppList
from services.polls.notifications.inbox import NotificationInbox
from services.polls.notifications.mailer import Mailer
from services.polls.notifications.preferences import PreferencesService
from services.polls.notifications.settings import NotificationSettings
from services.polls.notifications.texts import Links
from services.polls.polls.store import PollStore
from services.polls.service_secret import ServiceSecret
from services.polls.tables import LEASE, OUTBOX
from shared.config import Settings
from shared.lease import Lease
from shared.outbox import OutboxDelivery
from shared.outbox.webhooks import parse_secret
from shared.periodic import background_lifespan, run_periodically

__all__ = ("NotificationServices", "Notifications")

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]


@dataclass(frozen=True, slots=True)
class NotificationServices:
    """What the notification pages and endpoints are given, one dependency each."""

    in_app: InAppList
    inbox: NotificationInbox
    preferences: PreferencesService


class Notifications(NamedTuple):
    services: NotificationServices
    lifespan: list[Lifespan]
    delivery: OutboxDelivery

    @classmethod
    def build(
        cls,
        settings: Settings,
        options: NotificationSettings,
        polls: PollStore,
        secret: ServiceSecret,
    ) -> Notifications:
        links = Links(
            polls=settings.public_urls["polls"].rstrip("/"),
            discussions=settings.public_urls["discussions"].rstrip("/"),
        )
        key = secret.confirmation_key()
        mailer = Mailer(options.mail) if options.mail is not None else None
        preferences = PreferencesService(OUTBOX, key, email_enabled=mailer is not None)
        in_app = InAppList(links)
        sender = NotificationDelivery(OUTBOX, polls, mailer, links, key)
        delivery = OutboxDelivery(
            OUTBOX, sender.deliver, Lease(LEASE, "outbox-delivery"), options.interval_s
        )
        inbox = NotificationInbox(
            OUTBOX, parse_secret(options.inbox_secret) if options.inbox_secret else None
        )
        forget = background_lifespan(
            "unconfirmed-address-cleanup",
            lambda stop: run_periodically(
                lambda: preferences.forget_unconfirmed(dt.datetime.now(dt.UTC)),
                600.0,
                stop,
                "unconfirmed address cleanup",
            ),
        )
        return cls(
            services=NotificationServices(in_app=in_app, inbox=inbox, preferences=preferences),
            lifespan=[delivery.lifespan, forget],
            delivery=delivery,
        )
