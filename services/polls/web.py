"""What polls controllers share beyond the wire bases (:mod:`shared.web.schemas`): paging."""

from __future__ import annotations

from typing import Annotated

import msgspec

__all__ = ("MAX_PAGE", "Limit", "Offset")

MAX_PAGE = 100
Offset = Annotated[int, msgspec.Meta(ge=0)]
Limit = Annotated[int, msgspec.Meta(ge=1, le=MAX_PAGE)]
