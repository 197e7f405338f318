"""Reading and writing the earlier texts of corrected responses (as the pages, the API and the
report show them); the only module that touches their table."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence

import msgspec

from services.discussions.responses.schemas import EarlierResponseView
from services.discussions.responses.tables import ResponseCorrection

__all__ = ("ResponseStore",)


class ResponseStore:
    async def keep_earlier(self, comment_id: uuid.UUID, earlier: EarlierResponseView) -> None:
        """Keep a response's text as it read before a correction replaced it."""
        await ResponseCorrection.insert(
            ResponseCorrection(comment=comment_id, **msgspec.structs.asdict(earlier))
        )

    async def earlier(
        self,
        comment_ids: Sequence[uuid.UUID],
    ) -> dict[uuid.UUID, list[EarlierResponseView]]:
        """The corrected responses of these comments, oldest first, by comment."""
        found: dict[uuid.UUID, list[EarlierResponseView]] = {}
        if not comment_ids:
            return found
        rows = (
            await ResponseCorrection.select(
                ResponseCorrection.comment,
                ResponseCorrection.disposition,
                ResponseCorrection.justification,
                ResponseCorrection.responded_at,
                ResponseCorrection.corrected_at,
            )
            .where(ResponseCorrection.comment.is_in(list(comment_ids)))
            .order_by(ResponseCorrection.corrected_at)
        )
        for r in rows:
            found.setdefault(r["comment"], []).append(
                EarlierResponseView(
                    disposition=r["disposition"],
                    justification=r["justification"],
                    responded_at=_aware(r["responded_at"]),
                    corrected_at=_aware(r["corrected_at"]),
                )
            )
        return found


def _aware(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back naive (they were stored as UTC).
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
