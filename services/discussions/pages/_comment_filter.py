"""The discussion page's search form: what it asks for, and the page of comments it finds
through the same services and arguments as ``GET /api/v1/periods/{id}/search`` (when words
are given) and ``GET /api/v1/periods/{id}/comments``."""

from __future__ import annotations

from dataclasses import dataclass

from services.discussions.comments.domain import CommentsService
from services.discussions.comments.schemas import CommentFilters, PublicComment
from services.discussions.errors import InvalidError
from services.discussions.pagination import Page
from services.discussions.responses.schemas import Disposition
from services.discussions.search.domain import SearchService
from shared.comment_period.entry import Stance

__all__ = ("NO_VALUE", "CommentFilter", "find_comments")

NO_VALUE = "-"
"""Filter value for "the whole draft" (no section) and "no decision yet": section anchors
start with a letter and dispositions are words, so it names neither."""


@dataclass(frozen=True, slots=True)
class CommentFilter:
    """What the search form asks for; all empty shows every comment."""

    q: str = ""
    about: str = ""
    """Section anchor, ``NO_VALUE`` for comments on the whole draft, empty for any."""
    stance: str = ""
    disposition: str = ""
    """A disposition, ``NO_VALUE`` for comments without a decision yet, empty for any."""

    @property
    def active(self) -> bool:
        return bool(self.q or self.about or self.stance or self.disposition)

    def params(self) -> dict[str, str]:
        """The query string's filter parameters (the empty ones left out)."""
        fields = {
            "q": self.q,
            "about": self.about,
            "stance": self.stance,
            "disposition": self.disposition,
        }
        return {k: v for k, v in fields.items() if v}

    def check(self) -> None:
        if self.stance and self.stance not in set(Stance):
            raise InvalidError("bad-filter", "Unknown stance", "Choose a stance from the list.")
        if self.disposition and self.disposition not in {NO_VALUE, *Disposition}:
            raise InvalidError("bad-filter", "Unknown decision", "Choose a decision from the list.")


def _api_value(value: str) -> str | None:
    """The API's filter value: None filters nothing, "" matches the empty column."""
    if not value:
        return None
    return "" if value == NO_VALUE else value


async def find_comments(
    comments: CommentsService,
    search: SearchService,
    period_id: str,
    shown: CommentFilter,
    after: str | None,
    limit: int,
) -> Page[PublicComment]:
    """One page of the published comments ``shown`` matches, oldest first, after the cursor
    ``after``, with their earlier responses."""
    shown.check()
    filters = CommentFilters(
        section=_api_value(shown.about),
        stance=shown.stance or None,
        disposition=_api_value(shown.disposition),
    )
    if shown.q:
        found = await search.search(period_id, shown.q, filters, cursor=after, limit=limit)
        return await comments.with_earlier_responses(found)
    return await comments.published(period_id, filters, cursor=after, limit=limit)
