"""Every ballot a poll has accepted, wherever it is now: in the log or still in the pool."""

from __future__ import annotations

from litestar import Litestar

__all__ = ("accepted_ballots", "pooled_ballots")


async def pooled_ballots(app: Litestar, poll_id: str) -> list[bytes]:
    """The poll's ballots waiting in the pool, unsealed with the service's secret."""
    return list(await app.state.polls.logs.feeder.pooled_entries(poll_id))


async def accepted_ballots(app: Litestar, poll_id: str) -> list[bytes]:
    """Entry bytes of every accepted ballot: integrated, handed to the log, or pooled.

    Both tables are read in one snapshot: the mixer may move a batch from the pool into the
    log at any moment, and two separate reads could see that batch in neither.
    """
    logs = app.state.polls.logs
    async with logs.store.transaction():
        if not logs.store.on_sqlite:
            await logs.store.t.entry.raw("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        rows = await logs.store.t.entry.raw(
            "SELECT entry FROM log_entry WHERE log_id = {}", poll_id
        )
        pooled = await pooled_ballots(app, poll_id)
    return [bytes(r["entry"]) for r in rows] + pooled
