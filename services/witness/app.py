"""Assembles the witness: one place where every part is wired.

The witness shares nothing with the platform at run time: its own settings, key, database
(SQLite by default) and no Redis, so anyone (a Public Chamber, an election commission, a
newspaper) can run one next to nothing else.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from services.witness.cosigning.domain import Witness
from services.witness.cosigning.http import add_checkpoint_controller, monitoring_controller
from services.witness.cosigning.store import WitnessStore
from services.witness.cosigning.tables import make_witness_tables
from services.witness.keys import load_witness_signer
from services.witness.settings import DEFAULT_NAME, WitnessSettings, load_witness_settings
from shared.config import WITNESS
from shared.db.engine import bind_tables, create_engine, database_ping
from shared.version import VERSION
from shared.web.app import build_app
from shared.web.runtime import database_connection

__all__ = ("create_app",)


def create_app(settings: WitnessSettings | None = None) -> Litestar:
    settings = settings or load_witness_settings()
    signer = load_witness_signer(
        settings.keys_dir, settings.name, settings.signer_key, default_name=DEFAULT_NAME
    )
    engine = create_engine(settings.database_url)
    tables = make_witness_tables()
    bind_tables(tables.all(), engine)
    witness = Witness(WitnessStore(tables, engine), signer, settings.logs)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        async with database_connection(WITNESS, engine):
            yield

    return build_app(
        service=WITNESS,
        version=VERSION,
        settings=settings,
        route_handlers=[add_checkpoint_controller(witness), monitoring_controller(witness)],
        readiness=[("database", lambda: database_ping(engine))],
        lifespan=[lifespan],
        state={"witness": witness},
    )
