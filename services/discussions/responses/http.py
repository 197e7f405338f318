"""Official responses over HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Controller, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from services.discussions.db import utcnow
from services.discussions.http import allowed
from services.discussions.responses.domain import ResponsesService
from services.discussions.responses.schemas import ResponseIn
from shared.identity.claims import Permission, Session
from shared.identity.guards import requires_permission
from shared.web.openapi import problems

__all__ = ("ResponsesController",)

RESPOND = Permission.RESPOND.value


_RESPONSE = "/comments/{comment_id:uuid}/response"
_ANSWERING: dict[str, Any] = {
    "guards": [requires_permission(RESPOND)],
    "status_code": 204,
    "responses": problems(409),
}
"""Answering and correcting alike: the respond permission, 204, a 409 when refused."""


async def _answer(
    record: Callable[..., Awaitable[None]],
    comment_id: uuid.UUID,
    data: ResponseIn,
    session: Session,
) -> None:
    await record(
        comment_id,
        allowed=allowed(session, RESPOND),
        disposition=data.disposition,
        justification=data.justification,
        now=utcnow(),
    )


class ResponsesController(Controller):
    path = "/api/v1"
    tags = ["responses"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post(_RESPONSE, **_ANSWERING)
    async def respond(
        self,
        comment_id: FromPath[uuid.UUID],
        data: JSONBody[ResponseIn],
        session: NamedDependency[Session],
        responses: NamedDependency[ResponsesService],
    ) -> None:
        """Answer a published comment; its author is notified."""
        await _answer(responses.respond, comment_id, data, session)

    @put(_RESPONSE, **_ANSWERING)
    async def correct(
        self,
        comment_id: FromPath[uuid.UUID],
        data: JSONBody[ResponseIn],
        session: NamedDependency[Session],
        responses: NamedDependency[ResponsesService],
    ) -> None:
        """Correct a sent response until the report is published; the earlier text stays
        visible beside the correction (``earlier_responses``) and the author is notified."""
        await _answer(responses.correct, comment_id, data, session)
