"""Server-rendered pages of the discussions service, added to the app with one plugin::

build_app(..., plugins=[discussions_pages(settings)])
"""

from __future__ import annotations

from pathlib import Path

from services.discussions.pages.citizen import CitizenPages
from services.discussions.pages.drafts import DraftPages
from services.discussions.pages.official import OfficialPages
from services.discussions.pages.periods import CommentPeriodPages
from shared.config import Settings
from shared.web.ui.plugin import UiPlugin

__all__ = ("TEMPLATES", "discussions_pages")

TEMPLATES = Path(__file__).parent / "templates"


def discussions_pages(settings: Settings) -> UiPlugin:
    """The plugin with every page of the discussions service (their handlers take the domain
    services by the dependencies ``create_app`` declares)."""
    return UiPlugin.for_service(
        "discussions",
        settings,
        [TEMPLATES],
        [CitizenPages, OfficialPages, DraftPages, CommentPeriodPages],
    )
