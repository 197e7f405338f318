"""Assembles the discussions service."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar import Litestar

from services.discussions.comment_periods.http import CommentPeriodsController
from services.discussions.comment_periods.scheduler import CommentPeriodScheduler
from services.discussions.comments.http import CommentsController
from services.discussions.deps import Discussions, dependencies
from services.discussions.drafts.http import DraftsController
from services.discussions.moderation.http import ModerationController
from services.discussions.outbox.domain import discussions_delivery
from services.discussions.pages import discussions_pages
from services.discussions.rate_limits import RULES
from services.discussions.report.http import ReportController
from services.discussions.responses.http import ResponsesController
from services.discussions.search.http import SearchController
from services.discussions.settings import DiscussionsSettings, load_discussions_settings
from services.discussions.site_secret import load_site_secret
from services.discussions.tables import LEASE, LOG_TABLES, TABLES
from shared.config import MissingSettingError, Settings, get_settings
from shared.identity.components import identity_components
from shared.lease import Lease
from shared.log.http import LogController, log_dependencies
from shared.log.service import LogService, load_log_keys
from shared.outbox.webhooks import WebhookSender, parse_secret
from shared.version import VERSION
from shared.web.app import build_app
from shared.web.ratelimit import RateLimitMiddleware
from shared.web.runtime import runtime_lifespan

__all__ = ("create_app",)


def _issues_sessions(settings: Settings, options: DiscussionsSettings) -> bool:
    """Sign-in is served by polls. In development discussions may sign people in too (one
    machine, keys made on first start); in production it holds only the public session keys
    and its own secret: no pepper, nothing that could forge a session."""
    issuing = settings.is_dev if options.issues_sessions is None else options.issues_sessions
    if issuing and not settings.is_dev:
        raise MissingSettingError(
            "VMESTE_DISCUSSIONS_SESSIONS",
            "'issue' is refused when VMESTE_ENV=prod: sign-in is served by polls",
        )
    return issuing


def _receivers(options: DiscussionsSettings) -> list[WebhookSender]:
    """Polls' notifications inbox and the operator's webhook, those configured."""
    receivers = []
    for url, secret, name in (
        (options.notify_url, options.notify_secret, "VMESTE_NOTIFICATIONS_SECRET"),
        (options.webhook_url, options.webhook_secret, "VMESTE_DISCUSSIONS_WEBHOOK_SECRET"),
    ):
        if url is None:
            continue
        if secret is None:
            raise MissingSettingError(name, "required with its URL")
        receivers.append(WebhookSender(url, parse_secret(secret)))
    return receivers


def create_app(
    settings: Settings | None = None, options: DiscussionsSettings | None = None
) -> Litestar:
    settings = settings or get_settings()
    options = options or load_discussions_settings()
    runtime, lifespan = runtime_lifespan("discussions", settings, TABLES)
    host = urlsplit(settings.public_urls["discussions"]).netloc
    logs = LogService.create(
        LOG_TABLES,
        runtime.engine,
        load_log_keys(settings.security.keys_dir, "discussions"),
        f"{host}/discussions",
        LEASE,
        witnessing=settings.witnessing,
    )
    discussions = Discussions.build(logs)
    scheduler = CommentPeriodScheduler(
        discussions.periods, Lease(LEASE, "period-scheduler"), options.scheduler_interval_s
    )
    outbox = discussions_delivery(
        _receivers(options), Lease(LEASE, "outbox-delivery"), options.outbox_interval_s
    )
    identity = identity_components(
        settings,
        service="discussions",
        issuing=_issues_sessions(settings, options),
        site_secret=load_site_secret(settings.security.keys_dir, create=settings.is_dev),
    )
    return build_app(
        service="discussions",
        version=VERSION,
        settings=settings,
        route_handlers=[
            *identity.route_handlers,
            DraftsController,
            CommentPeriodsController,
            CommentsController,
            ModerationController,
            ResponsesController,
            SearchController,
            ReportController,
            LogController,
        ],
        readiness=[*runtime.readiness(), *identity.readiness],
        lifespan=[
            lifespan,
            *identity.lifespan,
            logs.lifespan,
            logs.cosigner_lifespan,
            scheduler.lifespan,
            *([outbox.lifespan] if outbox is not None else []),
        ],
        dependencies={
            **identity.dependencies,
            **dependencies(),
            **log_dependencies(logs, discussions.reports.describe),
        },
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
        plugins=[discussions_pages(settings)],
        state={"discussions": discussions},
    )
