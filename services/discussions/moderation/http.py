"""Moderation over HTTP: the queue and the decision."""

from __future__ import annotations

import uuid

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from services.discussions.db import utcnow
from services.discussions.http import DEFAULT_PAGE, CursorQuery, LimitQuery, allowed
from services.discussions.moderation.domain import ModerationService
from services.discussions.moderation.schemas import DecisionIn, DecisionOut, PendingComment
from services.discussions.pagination import Page
from shared.identity.claims import Permission, Session
from shared.identity.guards import requires_permission
from shared.web.openapi import problems

__all__ = ("ModerationController",)

MODERATE = Permission.MODERATE.value


class ModerationController(Controller):
    path = "/api/v1"
    tags = ["moderation"]  # noqa: RUF012 - Litestar reads it as a class attribute
    guards = [requires_permission(MODERATE)]  # noqa: RUF012

    @get("/periods/{period_id:str}/moderation-queue")
    async def queue(
        self,
        period_id: FromPath[str],
        session: NamedDependency[Session],
        moderation: NamedDependency[ModerationService],
        cursor: CursorQuery = None,
        limit: LimitQuery = DEFAULT_PAGE,
    ) -> Page[PendingComment]:
        """Comments awaiting moderation, oldest first."""
        return await moderation.queue(
            period_id, allowed=allowed(session, MODERATE), cursor=cursor, limit=limit
        )

    @post("/comments/{comment_id:uuid}/moderation", responses=problems(409))
    async def decide(
        self,
        comment_id: FromPath[uuid.UUID],
        data: JSONBody[DecisionIn],
        session: NamedDependency[Session],
        moderation: NamedDependency[ModerationService],
    ) -> DecisionOut:
        """Publish, or reject with a reason code; a rejected comment stays in the log."""
        status = await moderation.decide(
            comment_id,
            allowed=allowed(session, MODERATE),
            decision=data.decision,
            reason=data.reason,
            note=data.note,
            now=utcnow(),
        )
        return DecisionOut(id=comment_id, status=status)
