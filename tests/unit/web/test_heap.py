"""A service's start-up heap is left out of garbage collections while it serves."""

from __future__ import annotations

import gc
from dataclasses import dataclass

from shared.web.app import build_app


@dataclass
class _Limits:
    max_body_bytes: int = 1_000


async def test_what_exists_when_the_app_starts_is_frozen_until_it_stops() -> None:
    app = build_app(service="heap", version="0", settings=_Limits(), route_handlers=[])
    gc.unfreeze()
    async with app.lifespan():
        frozen = gc.get_freeze_count()
        assert frozen > 1_000  # the modules, the app and everything else alive at start
    assert gc.get_freeze_count() == 0  # stopped: the collector may take it all back
