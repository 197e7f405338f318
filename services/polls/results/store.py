"""The counts analytics need, straight from the participation table (never from ballots);
and, once at the tally, the sealed receipt details that let the answers be counted by group
(results.answers)."""

from __future__ import annotations

import datetime as dt

from services.polls.casting.tables import Participation

__all__ = ("AnalyticsStore",)


def _aware(value: dt.datetime | str) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class AnalyticsStore:
    async def by_column(self, poll_id: str, column: str) -> dict[str, int]:
        """Voters per value of ``municipality`` or ``age_band``."""
        if column not in ("municipality", "age_band"):
            raise ValueError(column)
        rows = await Participation.raw(
            f"SELECT {column} AS k, COUNT(*) AS n FROM participation "  # noqa: S608
            "WHERE poll_id = {} GROUP BY " + column,
            poll_id,
        )
        return {str(r["k"]): int(r["n"]) for r in rows}

    async def sealed_voters(self, poll_id: str) -> list[tuple[str, bytes, str, str]]:
        """(voter tag, sealed receipt details, municipality, age band) of every voter whose
        seal is still kept (it is erased once the poll is tallied)."""
        rows = await Participation.select(
            Participation.voter_tag,
            Participation.sealed,
            Participation.municipality,
            Participation.age_band,
        ).where(Participation.poll_id == poll_id)
        return [
            (str(r["voter_tag"]), bytes(r["sealed"]), str(r["municipality"]), str(r["age_band"]))
            for r in rows
            if r["sealed"]
        ]

    async def by_hour(self, poll_id: str) -> dict[dt.datetime, int]:
        """Voters per hour of acceptance (the finest time participation keeps)."""
        rows = await Participation.raw(
            "SELECT hour AS h, COUNT(*) AS n FROM participation WHERE poll_id = {} "
            "AND hour IS NOT NULL GROUP BY hour",
            poll_id,
        )
        return {_aware(r["h"]): int(r["n"]) for r in rows}
