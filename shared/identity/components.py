"""Everything a service needs for sign-in, in one call.

identity = identity_components(settings, service="polls")
identity = identity_components(settings, service="discussions", issuing=False, site_secret=...)
build_app(..., route_handlers=[*identity.route_handlers, ...],
          middleware=identity.middleware, dependencies=identity.dependencies,
          lifespan=[..., *identity.lifespan], readiness=[..., *identity.readiness])
RateLimitMiddleware(redis, RULES, keys=identity.rate_limit_keys)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, NamedTuple

import httpx
from litestar import Litestar
from litestar.connection import ASGIConnection
from litestar.di import Provide
from litestar.types import ControllerRouterHandler, Middleware

from shared.config import Settings
from shared.db.engine import bind_tables, create_engine, database_ping, is_sqlite
from shared.identity.claims import Session
from shared.identity.controllers import identity_routes
from shared.identity.csrf import CsrfTokens
from shared.identity.dev_provider import DevIdentityProvider
from shared.identity.esia import EsiaProvider, EsiaSettings
from shared.identity.guards import current_session, optional_session
from shared.identity.keys import PublicSessionKeyRing, SessionKeyRing
from shared.identity.middleware import IdentityMiddleware
from shared.identity.provider import IdentityProvider
from shared.identity.pseudonym import derived_secret, load_pepper
from shared.identity.seed import seed_development
from shared.identity.service import IdentityService
from shared.identity.session_store import SessionStore
from shared.identity.tables import TABLES
from shared.identity.territory import AddressResolver, TerritoryStore
from shared.identity.territory.http import MAX_REFUSED_DAYS
from shared.identity.tokens import TokenService
from shared.periodic import background_lifespan, run_periodically
from shared.redis import create_redis
from shared.web.cookies import SECURE_COOKIES_STATE
from shared.web.health import ReadinessCheck
from shared.web.ratelimit import RateLimitKeys

__all__ = ("IdentityComponents", "identity_components")

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]
REFUSED_CODES_KEPT = dt.timedelta(days=MAX_REFUSED_DAYS)
"""How long the per-day counts of refused address codes are kept for the operator."""


class IdentityComponents(NamedTuple):
    route_handlers: list[ControllerRouterHandler]
    middleware: list[Middleware]
    dependencies: dict[str, Provide]
    lifespan: list[Lifespan]
    readiness: list[ReadinessCheck]
    rate_limit_keys: RateLimitKeys
    """Names the abuse counters in Redis by keyed hashes, from a secret derived from the
    service's site secret (never in Redis or a database)."""
    sessions: SessionStore
    """Sign-in sessions and their revocations, for a route that checks revocation itself."""


def _provide_session(request: ASGIConnection[Any, Any, Any, Any]) -> Session:
    return current_session(request)


def _provide_optional_session(request: ASGIConnection[Any, Any, Any, Any]) -> Session | None:
    return optional_session(request)


def identity_components(
    settings: Settings,
    *,
    service: str,
    environ: Mapping[str, str] = os.environ,
    pooled: bool = True,
    cleanup_interval_s: float = 60.0,
    issuing: bool = True,
    site_secret: bytes | None = None,
) -> IdentityComponents:
    """Sign-in for ``service`` (polls or discussions). Fails fast on missing keys, pepper or
    ESIA settings; in development it creates keys and pepper on first start.

    ``issuing``: the service signs people in (ESIA, /auth/login, /auth/callback,
    /auth/refresh) and so holds the pepper and the private session keys. Otherwise it only
    verifies sessions: it loads the public session keys (:class:`PublicSessionKeyRing`), never
    reads the pepper nor any ESIA setting, and keeps of /auth only sign-out, which needs
    nothing but the session store.

    ``site_secret``: the secret the service's CSRF tokens and abuse-counter names derive
    from; a verify-only service must give its own, an issuing one may leave it to the pepper.

    The identity tables are bound process-wide to the engine made here (Piccolo binds per
    class), so a process serves one identity database. A test running two apps at once in
    one process passes ``pooled=False`` for the later one: PostgreSQL connections are then
    opened per query in whichever event loop asks, instead of borrowing another loop's pool.

    While the app runs, expired sign-in sessions are deleted every ``cleanup_interval_s``
    (every replica does it; deleting is idempotent).
    """
    dev = settings.is_dev
    keys_dir = settings.security.keys_dir
    pepper: bytes | None = None
    keys: SessionKeyRing | PublicSessionKeyRing
    if issuing:
        pepper = load_pepper(keys_dir, create=dev, environ=environ)
        keys = SessionKeyRing.load(keys_dir, create=dev)
        secret = site_secret if site_secret is not None else pepper
    elif site_secret is None:
        raise ValueError("a service that only verifies sessions needs a site secret of its own")
    else:
        keys = PublicSessionKeyRing.load(keys_dir)
        secret = site_secret
    engine = create_engine(settings.database.url_for("identity"))
    bind_tables(TABLES, engine)
    redis, _ = create_redis(settings.redis.url)
    http = httpx.AsyncClient(follow_redirects=False)
    territory = TerritoryStore(engine)
    provider: IdentityProvider | None
    if not issuing:
        provider = None
    elif settings.identity_provider == "esia":
        callback = f"{settings.public_urls[service].rstrip('/')}/auth/callback"
        provider = EsiaProvider(
            EsiaSettings.from_env(callback, environ),
            http,
            AddressResolver(territory, service=service),
        )
    else:
        provider = DevIdentityProvider()
    sessions = SessionStore(
        redis,
        session_lifetime=dt.timedelta(minutes=settings.security.session_minutes),
        refresh_lifetime=dt.timedelta(hours=settings.security.refresh_hours),
    )
    identity = IdentityService(
        provider=provider,
        tokens=TokenService(keys, lifetime=dt.timedelta(minutes=settings.security.session_minutes)),
        sessions=sessions,
        pepper=pepper,
        csrf=CsrfTokens(derived_secret(secret, "vmeste/csrf/secret/v1")),
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.identity = identity
        app.state[SECURE_COOKIES_STATE] = settings.security.secure_cookies
        app.state.territory = territory
        if is_sqlite(engine):
            await engine.run_ddl("PRAGMA journal_mode=WAL")
        elif pooled:
            await engine.start_connection_pool(  # type: ignore[no-untyped-call,call-arg]
                min_size=1, max_size=10
            )
        try:
            if isinstance(provider, DevIdentityProvider) and pepper is not None:
                await seed_development(pepper)
            yield
        finally:
            if pooled or is_sqlite(engine):
                # SQLite: the connections kept for statements outside transactions.
                await engine.close_connection_pool()  # type: ignore[no-untyped-call]
            await territory.close()
            await redis.aclose()
            await http.aclose()

    return IdentityComponents(
        route_handlers=identity_routes(identity, settings, territory),
        middleware=[IdentityMiddleware(identity)],
        dependencies={
            "session": Provide(_provide_session, sync_to_thread=False),
            "optional_session": Provide(_provide_optional_session, sync_to_thread=False),
        },
        lifespan=[
            lifespan,
            background_lifespan(
                "session-cleanup",
                lambda stop: run_periodically(
                    sessions.delete_expired, cleanup_interval_s, stop, "expired session cleanup"
                ),
            ),
            background_lifespan(
                "refused-address-codes-cleanup",
                lambda stop: run_periodically(
                    lambda: territory.forget_refusals_before(
                        dt.datetime.now(dt.UTC).date() - REFUSED_CODES_KEPT
                    ),
                    3600.0,
                    stop,
                    "refused address codes cleanup",
                ),
            ),
        ],
        readiness=[("identity-database", lambda: database_ping(engine))],
        rate_limit_keys=RateLimitKeys(derived_secret(secret, "vmeste/ratelimit/secret/v1")),
        sessions=sessions,
    )
