"""Comments over HTTP: submit with a receipt, published list, my comments, rating."""

from __future__ import annotations

import html
import uuid
from typing import Annotated

from litestar import Controller, MediaType, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from services.discussions.comments.domain import CommentsService, Submission
from services.discussions.comments.schemas import (
    CommentFilters,
    CommentIn,
    MyComment,
    PublicComment,
    RatingIn,
    SubmittedComment,
)
from services.discussions.db import utcnow
from services.discussions.http import DEFAULT_PAGE, CursorQuery, LimitQuery
from services.discussions.pagination import Page
from services.discussions.responses.domain import ResponsesService
from shared.identity.claims import Session
from shared.web.inert_text import inert_html
from shared.web.openapi import problems

__all__ = ("CommentsController", "FilterQuery")

FilterQuery = Annotated[str | None, QueryParameter(max_length=64)]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(name="Idempotency-Key", max_length=200, required=False),
]


class CommentsController(Controller):
    path = "/api/v1"
    tags = ["comments"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @post("/periods/{period_id:str}/comments", responses=problems(409))
    async def submit(
        self,
        period_id: FromPath[str],
        data: JSONBody[CommentIn],
        session: NamedDependency[Session],
        comments: NamedDependency[CommentsService],
        idempotency_key: IdempotencyKey = None,
    ) -> SubmittedComment:
        """Submit a comment; it enters the period's log before moderation. Keep the receipt.

        Retrying with the same Idempotency-Key returns the original receipt (no second
        comment), so a phone that lost the answer can simply send again."""
        return await comments.submit(
            period_id,
            Submission(
                author=session,
                section=data.section,
                stance=data.stance,
                text=data.text,
                proposed_wording=data.proposed_wording,
                idempotency_key=idempotency_key,
            ),
            utcnow(),
        )

    @get("/periods/{period_id:str}/comments")
    async def published(
        self,
        period_id: FromPath[str],
        comments: NamedDependency[CommentsService],
        section: FilterQuery = None,
        stance: FilterQuery = None,
        disposition: FilterQuery = None,
        cursor: CursorQuery = None,
        limit: LimitQuery = DEFAULT_PAGE,
    ) -> Page[PublicComment]:
        """Published comments only, oldest first, filtered by section, stance, disposition."""
        filters = CommentFilters(section, stance, disposition)
        return await comments.published(period_id, filters, cursor=cursor, limit=limit)

    @get("/periods/{period_id:str}/comments.html", media_type=MediaType.HTML)
    async def published_html(
        self,
        period_id: FromPath[str],
        comments: NamedDependency[CommentsService],
        cursor: CursorQuery = None,
        limit: LimitQuery = DEFAULT_PAGE,
    ) -> str:
        """The published comments as an HTML fragment (for embedding); text is escaped."""
        page = await comments.published(period_id, CommentFilters(), cursor=cursor, limit=limit)
        items = "".join(
            f"<li id='c-{c.id}'><p class='stance'>{html.escape(c.stance)}"
            f"{' · ' + html.escape(c.section) if c.section else ''}</p>"
            f"<p dir='auto'>{inert_html(c.text)}</p>"
            + (
                f"<blockquote dir='auto'>{inert_html(c.proposed_wording)}</blockquote>"
                if c.proposed_wording
                else ""
            )
            + "</li>"
            for c in page.items
        )
        return f"<ol class='comments'>{items}</ol>"

    @get("/me/comments")
    async def mine(
        self,
        session: NamedDependency[Session],
        comments: NamedDependency[CommentsService],
        cursor: CursorQuery = None,
        limit: LimitQuery = DEFAULT_PAGE,
    ) -> Page[MyComment]:
        """My comments in every period, with status, reason, response and my rating."""
        return await comments.mine(session.sub, cursor=cursor, limit=limit)

    @post("/comments/{comment_id:uuid}/rating", status_code=204, responses=problems(409))
    async def rate(
        self,
        comment_id: FromPath[uuid.UUID],
        data: JSONBody[RatingIn],
        session: NamedDependency[Session],
        responses: NamedDependency[ResponsesService],
    ) -> None:
        """Rate the response to my comment, 1–5, once, until the report is published; the
        rating enters the comment period's log."""
        await responses.rate(comment_id, author=session.sub, rating=data.rating, now=utcnow())
