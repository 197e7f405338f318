"""Citizens' notification pages: the in-app list, the settings (which kinds by which channel,
the e-mail address) and the address confirmation link."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Response, Template

from services.polls.errors import PollsError
from services.polls.notifications.in_app import InAppList
from services.polls.notifications.kinds import Kind
from services.polls.notifications.preferences import PreferencesService
from shared.identity.claims import Session
from shared.web.ui.i18n import choose_language
from shared.web.ui.pages import (
    SignedForm,
    current_session,
    local_redirect,
    page,
)

__all__ = ("NotificationPages",)

TokenQuery = Annotated[str, QueryParameter(max_length=100)]
KINDS = (Kind.RESPONSE, Kind.POLL_OPENED, Kind.RESULT)


class NotificationPages(Controller):
    path = "/notifications"
    include_in_schema = False

    @get("/")
    async def listing(
        self,
        request: Request[Any, Any, Any],
        in_app: NamedDependency[InAppList],
        preferences: NamedDependency[PreferencesService],
        signed_in: NamedDependency[Session],
    ) -> Response[Any]:
        session = signed_in
        await preferences.moved(session.sub, session.oktmo)
        language, _ = choose_language(request)
        items = await in_app.latest(session.sub, language)
        return page(request, "polls/notifications.html", items=items)

    @post("/read", status_code=303)
    async def read(
        self,
        request: Request[Any, Any, Any],
        signed_form: NamedDependency[SignedForm],
        in_app: NamedDependency[InAppList],
    ) -> Response[Any]:
        session = signed_form.session
        await in_app.mark_all_read(session.sub, dt.datetime.now(dt.UTC))
        return local_redirect(request, "/notifications")

    @get("/unread")
    async def unread(
        self, request: Request[Any, Any, Any], in_app: NamedDependency[InAppList]
    ) -> Template:
        """The header's badge: how many are unread (nothing for the signed out)."""
        session = current_session(request)
        count = await in_app.unread(session.sub) if session is not None else 0
        return page(request, "polls/_unread_badge.html", count=count)

    @get("/settings")
    async def settings(
        self,
        request: Request[Any, Any, Any],
        preferences: NamedDependency[PreferencesService],
        signed_in: NamedDependency[Session],
    ) -> Response[Any]:
        session = signed_in
        await preferences.moved(session.sub, session.oktmo)
        saved = request.query_params.get("saved", "")
        return await _settings_page(
            request,
            preferences,
            session.sub,
            saved=bool(saved),
            queued=saved == "sent",
            error="",
        )

    @post("/settings", status_code=303)
    async def save(
        self,
        request: Request[Any, Any, Any],
        signed_form: NamedDependency[SignedForm],
        preferences: NamedDependency[PreferencesService],
    ) -> Response[Any]:
        form, session = signed_form
        language, _ = choose_language(request)
        email = preferences.email_enabled
        try:
            queued = await preferences.save(
                session.sub,
                oktmo=session.oktmo,
                language=language,
                email_kinds=form.getall("email", []) if email else [],
                in_app_kinds=form.getall("in_app", []),
                address=str(form.get("address", ""))[:300] if email else "",
                now=dt.datetime.now(dt.UTC),
            )
        except PollsError as exc:
            return await _settings_page(
                request,
                preferences,
                session.sub,
                saved=False,
                error=exc.slug,
                status_code=exc.status,
            )
        return local_redirect(
            request, "/notifications/settings?saved=" + ("sent" if queued else "1")
        )

    @get("/confirm")
    async def confirm(
        self,
        request: Request[Any, Any, Any],
        preferences: NamedDependency[PreferencesService],
        signed_in: NamedDependency[Session],
        token: TokenQuery = "",
    ) -> Response[Any]:
        session = signed_in
        confirmed = await preferences.confirm(session.sub, token, dt.datetime.now(dt.UTC))
        return page(
            request,
            "polls/notification_confirmed.html",
            status_code=200 if confirmed else 400,
            confirmed=confirmed,
        )


async def _settings_page(
    request: Request[Any, Any, Any],
    preferences: PreferencesService,
    sub: str,
    *,
    saved: bool,
    error: str,
    status_code: int = 200,
    queued: bool = False,
) -> Template:
    return page(
        request,
        "polls/notification_settings.html",
        status_code=status_code,
        prefs=await preferences.get(sub),
        kinds=KINDS,
        email_enabled=preferences.email_enabled,
        saved=saved,
        queued=queued,
        error=error,
    )
