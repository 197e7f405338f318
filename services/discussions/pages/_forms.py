"""Reading officials' page forms: trimmed text, a moment typed in a ``datetime-local`` field,
a refusal of the domain in the page's language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from litestar import Request

from services.discussions.errors import DomainError
from shared.web.ui.pages import gettext
from shared.web.ui.refusals import problem_message

__all__ = ("form_moment", "form_text", "refusal")


def form_text(form: Any, key: str, limit: int = 2000) -> str:
    return str(form.get(key) or "").strip()[:limit]


def form_moment(raw: str) -> dt.datetime | None:
    """The moment of a ``datetime-local`` value; the forms say their times are UTC."""
    try:
        moment = dt.datetime.fromisoformat(raw)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def refusal(request: Request[Any, Any, Any], exc: DomainError) -> str:
    return problem_message(lambda m: gettext(request, m), exc.slug, exc.detail, exc.extra)
