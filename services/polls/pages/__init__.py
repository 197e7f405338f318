"""Server-rendered pages of the polls service, added to the app with one plugin::

build_app(..., plugins=[polls_pages(settings, polls=polls, results=results,
                                    casting=casting, ledger=ledger, extra=[...])])
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from litestar import Controller

from services.polls.casting.domain import CastService
from services.polls.pages.answers import answers_pages
from services.polls.pages.citizen import citizen_pages
from services.polls.pages.domain import PollPagesDomain
from services.polls.pages.official import official_pages
from services.polls.polls.domain import PollService
from services.polls.results.domain import ResultsService
from shared.config import Settings
from shared.ledger.service import LogService
from shared.web.ui.plugin import UiPlugin

__all__ = ("TEMPLATES", "polls_pages")

TEMPLATES = Path(__file__).parent / "templates"


def polls_pages(
    settings: Settings,
    *,
    polls: PollService | None = None,
    results: ResultsService | None = None,
    casting: CastService | None = None,
    ledger: LogService | None = None,
    extra: Sequence[type[Controller]] = (),
) -> UiPlugin:
    """The plugin with every page of the polls service; domain objects not given are taken
    from the application state at start-up."""
    domain = PollPagesDomain(polls=polls, results=results, casting=casting, ledger=ledger)
    return UiPlugin.for_service(
        "polls",
        settings,
        [TEMPLATES],
        [citizen_pages(domain), official_pages(domain), answers_pages(domain), *extra],
        on_startup=domain.bind,
    )
