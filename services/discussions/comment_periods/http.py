"""Comment periods over HTTP: create, schedule, announce, extend, read."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from services.discussions.comment_periods.domain import CommentPeriodsService, for_viewer
from services.discussions.comment_periods.schemas import (
    CommentPeriodIn,
    CommentPeriodStatus,
    CommentPeriodView,
    ExtensionIn,
    ExtensionView,
    ScheduleIn,
)
from services.discussions.db import utcnow
from services.discussions.http import DEFAULT_PAGE, CursorQuery, LimitQuery, allowed, territory_of
from services.discussions.pagination import Page
from shared.identity.claims import Permission, Session
from shared.identity.guards import requires_permission
from shared.web.openapi import problems

__all__ = ("CommentPeriodsController",)

MANAGE = Permission.DISCUSSIONS_MANAGE.value


_CHANGE: dict[str, Any] = {"guards": [requires_permission(MANAGE)], "responses": problems(409)}
"""Every change of a period's dates or state: discussions:manage, a 409 when its state refuses."""


def _by(session: Session) -> dict[str, Any]:
    """Who changes a period and when: the organisations the official manages, now."""
    return {"managed": allowed(session, MANAGE), "now": utcnow()}


def _managed(session: Session | None) -> tuple[str, ...]:
    return () if session is None else allowed(session, MANAGE)


class CommentPeriodsController(Controller):
    path = "/api/v1"
    tags = ["comment periods"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post(
        "/drafts/{draft_id:uuid}/periods",
        guards=[requires_permission(MANAGE)],
        responses=problems(409, 422),
    )
    async def create(
        self,
        draft_id: FromPath[uuid.UUID],
        data: JSONBody[CommentPeriodIn],
        session: NamedDependency[Session],
        periods: NamedDependency[CommentPeriodsService],
    ) -> CommentPeriodView:
        """Create a comment period (state draft) with its dates and eligibility rules; 422
        territory-outside-organisation if its territory reaches beyond its organisation's."""
        draft = await periods.drafts.get(draft_id)
        return await periods.create(
            draft_id=draft_id,
            managed=allowed(session, MANAGE),
            territory=territory_of(session, draft.organisation),
            starts_at=data.starts_at,
            ends_at=data.ends_at,
            eligibility=data.eligibility,
            now=utcnow(),
        )

    @get("/periods")
    async def list_periods(
        self,
        periods: NamedDependency[CommentPeriodsService],
        optional_session: NamedDependency[Session | None],
        draft: Annotated[uuid.UUID | None, QueryParameter()] = None,
        status: Annotated[CommentPeriodStatus | None, QueryParameter()] = None,
        cursor: CursorQuery = None,
        limit: LimitQuery = DEFAULT_PAGE,
    ) -> Page[CommentPeriodView]:
        """Announced, open, closed and reported periods."""
        listed = await periods.page(draft_id=draft, status=status, cursor=cursor, limit=limit)
        managed = _managed(optional_session)
        return Page(items=[for_viewer(p, managed) for p in listed.items], next=listed.next)

    @get("/periods/{period_id:str}")
    async def get_period(
        self,
        period_id: FromPath[str],
        periods: NamedDependency[CommentPeriodsService],
        optional_session: NamedDependency[Session | None],
    ) -> CommentPeriodView:
        """One period; its closed roll, if any, only for its organisation's officials."""
        return for_viewer(await periods.get(period_id), _managed(optional_session))

    @put("/periods/{period_id:str}/schedule", **_CHANGE)
    async def reschedule(
        self,
        period_id: FromPath[str],
        data: JSONBody[ScheduleIn],
        session: NamedDependency[Session],
        periods: NamedDependency[CommentPeriodsService],
    ) -> CommentPeriodView:
        """Change the dates before the period opens."""
        return await periods.reschedule(
            period_id, starts_at=data.starts_at, ends_at=data.ends_at, **_by(session)
        )

    @post("/periods/{period_id:str}/announce", **_CHANGE)
    async def announce(
        self,
        period_id: FromPath[str],
        session: NamedDependency[Session],
        periods: NamedDependency[CommentPeriodsService],
    ) -> CommentPeriodView:
        """Announce the period; it then opens and closes by itself at its dates."""
        return await periods.announce(period_id, **_by(session))

    @post("/periods/{period_id:str}/extensions", **_CHANGE)
    async def extend(
        self,
        period_id: FromPath[str],
        data: JSONBody[ExtensionIn],
        session: NamedDependency[Session],
        periods: NamedDependency[CommentPeriodsService],
    ) -> CommentPeriodView:
        """Move the end later, with a reason that is kept and shown."""
        return await periods.extend(
            period_id,
            new_end=data.ends_at,
            reason=data.reason,
            decided_by=session.sub,
            **_by(session),
        )

    @get("/periods/{period_id:str}/extensions")
    async def extensions(
        self, period_id: FromPath[str], periods: NamedDependency[CommentPeriodsService]
    ) -> list[ExtensionView]:
        """Every extension with its reason (a short list, never paged)."""
        return await periods.extensions(period_id)
