"""A transaction whose COMMIT fails (the connection died) must not stay the task's current
transaction: piccolo skips its clean-up then, and every later transaction of a long-lived task
(the log integrator, a scheduler) would nest into the dead one and fail for ever."""

from __future__ import annotations

from pathlib import Path

import pytest
from piccolo.engine.sqlite import SQLiteTransaction

from shared.db.engine import create_engine


async def test_a_failed_commit_leaves_no_current_transaction(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'db.sqlite'}")

    async def lost(self: SQLiteTransaction) -> None:
        raise OSError("database or disk is full")

    with monkeypatch.context() as patched:
        patched.setattr(SQLiteTransaction, "commit", lost)
        with pytest.raises(OSError, match="disk is full"):
            async with engine.transaction():
                assert engine.current_transaction.get() is not None
    assert engine.current_transaction.get() is None
    async with engine.transaction():  # a fresh transaction works again
        await engine.run_ddl("SELECT 1")
