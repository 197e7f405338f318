"""Official responses over HTTP."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec
from litestar import Controller, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from services.discussions.db import utcnow
from services.discussions.http import allowed
from services.discussions.responses.domain import Disposition, ResponsesService
from shared.identity.claims import Permission, Session
from shared.identity.guards import requires_permission
from shared.web.openapi import problems
from shared.web.schemas import Input

__all__ = ("ResponsesController",)

RESPOND = Permission.RESPOND.value


class ResponseIn(Input):
    disposition: Disposition
    justification: Annotated[str, msgspec.Meta(min_length=1, max_length=10_000)]


class ResponsesController(Controller):
    path = "/api/v1"
    tags = ["responses"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post(
        "/comments/{comment_id:uuid}/response",
        guards=[requires_permission(RESPOND)],
        status_code=204,
        responses=problems(409),
    )
    async def respond(
        self,
        comment_id: FromPath[uuid.UUID],
        data: JSONBody[ResponseIn],
        session: NamedDependency[Session],
        responses: NamedDependency[ResponsesService],
    ) -> None:
        """Answer a published comment; its author is notified."""
        await responses.respond(
            comment_id,
            allowed=allowed(session, RESPOND),
            disposition=data.disposition,
            justification=data.justification,
            now=utcnow(),
        )

    @put(
        "/comments/{comment_id:uuid}/response",
        guards=[requires_permission(RESPOND)],
        status_code=204,
        responses=problems(409),
    )
    async def correct(
        self,
        comment_id: FromPath[uuid.UUID],
        data: JSONBody[ResponseIn],
        session: NamedDependency[Session],
        responses: NamedDependency[ResponsesService],
    ) -> None:
        """Correct a sent response until the report is published; the earlier text stays
        visible beside the correction (``earlier_responses``) and the author is notified."""
        await responses.correct(
            comment_id,
            allowed=allowed(session, RESPOND),
            disposition=data.disposition,
            justification=data.justification,
            now=utcnow(),
        )
