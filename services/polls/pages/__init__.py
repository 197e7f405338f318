"""Server-rendered pages of the polls service, added to the app with one plugin::

build_app(..., plugins=[polls_pages(settings, extra=[...])])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from litestar import Controller

from services.polls.pages.answers import AnswersPages
from services.polls.pages.citizen import CitizenPages
from services.polls.pages.official import OfficialPages
from shared.config import Settings
from shared.web.ui.plugin import UiPlugin

__all__ = ("TEMPLATES", "polls_pages")

TEMPLATES = Path(__file__).parent / "templates"


def polls_pages(settings: Settings, *, extra: Sequence[type[Controller]] = ()) -> UiPlugin:
    """The plugin with every page of the polls service (its domain services are injected
    from the ones ``create_app`` puts in the application state, as the API's are)."""
    return UiPlugin.for_service(
        "polls", settings, [TEMPLATES], [CitizenPages, OfficialPages, AnswersPages, *extra]
    )
