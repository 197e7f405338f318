"""A witness following one test log prefix, over a fresh database per test (SQLite and
PostgreSQL), with its key in the test's folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.witness.cosigning.domain import FollowedLog
from shared.log.note import Signer
from tests.conftest import DatabaseFactory
from tests.integration.witness._support import PREFIX, TestLog, WitnessFactory, witness_app


@pytest.fixture
def log_signer() -> Signer:
    return Signer.generate("vmeste-polls")


@pytest.fixture
def log(log_signer: Signer) -> TestLog:
    return TestLog(PREFIX + "p1", log_signer)


@pytest.fixture
def witness_db(database_url: DatabaseFactory) -> str:
    return database_url("witness")


@pytest.fixture
def make_witness(witness_db: str, tmp_path: Path, log_signer: Signer) -> WitnessFactory:
    """A new witness app on the test's database and keys: call again to "restart"."""
    logs = [FollowedLog(PREFIX, (log_signer.verifier,))]
    return lambda: witness_app(witness_db, tmp_path / "keys", logs)
