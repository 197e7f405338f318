"""Search over HTTP."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter

from services.discussions.comments.http import FilterQuery
from services.discussions.comments.schemas import CommentFilters, PublicComment
from services.discussions.http import DEFAULT_PAGE, CursorQuery, LimitQuery
from services.discussions.pagination import Page
from services.discussions.search.domain import SearchService

__all__ = ("SearchController",)


class SearchController(Controller):
    path = "/api/v1"
    tags = ["search"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/periods/{period_id:str}/search")
    async def search(
        self,
        period_id: FromPath[str],
        q: Annotated[str, QueryParameter(min_length=1, max_length=200)],
        search: NamedDependency[SearchService],
        section: FilterQuery = None,
        stance: FilterQuery = None,
        disposition: FilterQuery = None,
        cursor: CursorQuery = None,
        limit: LimitQuery = DEFAULT_PAGE,
    ) -> Page[PublicComment]:
        """Full-text search over the period's published comments."""
        filters = CommentFilters(section, stance, disposition)
        return await search.search(period_id, q, filters, cursor=cursor, limit=limit)
