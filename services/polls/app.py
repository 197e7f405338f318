"""Assembles the polls service: one place where every part is wired."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Litestar, Router

from services.polls.casting.batching import RedisGate
from services.polls.casting.domain import CastService
from services.polls.casting.http import CastingController
from services.polls.casting.mixing import Mixer
from services.polls.casting.store import CastStore
from services.polls.deps import Polls, dependencies
from services.polls.logs import PollLogs, entries_guard
from services.polls.notifications.components import Notifications
from services.polls.notifications.http import InboxController, MyNotificationsController
from services.polls.notifications.pages import NotificationPages
from services.polls.notifications.settings import NotificationSettings, load_notification_settings
from services.polls.pages import polls_pages
from services.polls.polls.domain import PollService
from services.polls.polls.http import PollsController
from services.polls.polls.store import PollStore
from services.polls.rate_limits import RULES
from services.polls.results.domain import ResultsService
from services.polls.results.http import ResultsController
from services.polls.results.recording import AnswerRecorder
from services.polls.scheduler import Scheduler
from services.polls.service_secret import ServiceSecret
from services.polls.tables import LEASE, LOG_TABLES, OUTBOX, TABLES
from shared.config import Settings, get_settings
from shared.db.engine import is_sqlite
from shared.identity import identity_components
from shared.identity.admin import admin_handlers
from shared.lease import Lease
from shared.log.http import LogController, log_dependencies
from shared.log.service import LogService, load_log_keys
from shared.version import VERSION
from shared.web.app import build_app
from shared.web.ratelimit import RateLimitMiddleware
from shared.web.runtime import runtime_lifespan

__all__ = ("create_app",)


def log_origin_prefix(settings: Settings) -> str:
    """``<public host>/polls``: the origin line of every poll log is this plus the poll id."""
    url = urlsplit(settings.public_urls["polls"])
    return f"{url.netloc or 'localhost'}{url.path.rstrip('/')}/polls"


def create_app(
    settings: Settings | None = None, notifications: NotificationSettings | None = None
) -> Litestar:
    settings = settings or get_settings()
    notifications = notifications or load_notification_settings()
    runtime, lifespan = runtime_lifespan("polls", settings, TABLES)
    keys_dir = settings.security.keys_dir
    secret = ServiceSecret.load_or_create(keys_dir)
    logs = LogService.create(
        LOG_TABLES,
        runtime.engine,
        load_log_keys(keys_dir, "polls"),
        log_origin_prefix(settings),
        LEASE,
        feeder=lambda logs: Mixer(logs, secret),
        witnessing=settings.witnessing,
    )
    poll_store = PollStore()
    cast_store = CastStore(logs, poll_store, lock_polls=not is_sqlite(runtime.engine))
    identity = identity_components(settings, service="polls")
    scheduler = Scheduler(
        poll_store,
        logs,
        Lease(LEASE, "poll-scheduler"),
        forget_receipts=cast_store.forget_receipts,
        record_answers=AnswerRecorder(secret, poll_store).record,
        outbox=OUTBOX,
    )
    poll_service = PollService(poll_store, seal_cancelled=scheduler.seal_cancelled)
    notifying = Notifications.build(settings, notifications, poll_store, secret)
    polls = Polls(
        polls=poll_service,
        results=ResultsService(poll_service, logs),
        casting=CastService(
            logs=logs,
            polls=poll_store,
            store=cast_store,
            gate=RedisGate(runtime.redis, runtime.scripts),
            revocations=identity.sessions,
            secret=secret,
        ),
        logs=logs,
        poll_logs=PollLogs(logs, poll_store),
    )
    return build_app(
        service="polls",
        version=VERSION,
        settings=settings,
        route_handlers=[
            *identity.route_handlers,
            *admin_handlers(),
            PollsController,
            CastingController,
            ResultsController,
            # The shared log endpoints; the guard holds entries and boards back (logs.py).
            Router(
                "/",
                route_handlers=[LogController],
                guards=[entries_guard],
                dependencies=log_dependencies(logs, polls.poll_logs.describe),
            ),
            MyNotificationsController,
            InboxController,
        ],
        readiness=[*runtime.readiness(), *identity.readiness],
        lifespan=[
            lifespan,
            *identity.lifespan,
            logs.lifespan,
            logs.cosigner_lifespan,
            scheduler.lifespan,
            *notifying.lifespan,
        ],
        middleware=[
            *identity.middleware,
            RateLimitMiddleware(
                runtime.redis,
                RULES,
                keys=identity.rate_limit_keys,
                trusted_proxies=settings.trusted_proxies,
                enabled=settings.rate_limits,
            ),
        ],
        dependencies={**identity.dependencies, **dependencies()},
        plugins=[polls_pages(settings, extra=[NotificationPages])],
        state={
            "polls": polls,
            "notifications": notifying.services,
            "scheduler": scheduler,
        },
    )
