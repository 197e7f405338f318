"""Server-rendered pages of the discussions service, added to the app with one plugin::

build_app(..., plugins=[discussions_pages(settings)])
"""

from __future__ import annotations

from pathlib import Path

from services.discussions.pages.citizen import citizen_pages
from services.discussions.pages.drafts import draft_pages
from services.discussions.pages.official import official_pages
from services.discussions.pages.periods import period_pages
from shared.config import Settings
from shared.web.ui.plugin import UiPlugin

__all__ = ("TEMPLATES", "discussions_pages")

TEMPLATES = Path(__file__).parent / "templates"


def discussions_pages(settings: Settings) -> UiPlugin:
    """The plugin with every page of the discussions service (its domain services are the
    ones ``create_app`` puts in the application state)."""
    return UiPlugin.for_service(
        "discussions",
        settings,
        [TEMPLATES],
        [citizen_pages(), official_pages(), draft_pages(), period_pages()],
    )
