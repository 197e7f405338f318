"""Piccolo's configuration for the witness database, used by the migration commands only.

The running witness binds its tables to its own engine (see services.witness.app).
"""

from piccolo.conf.apps import AppRegistry

from shared.config import WITNESS, database_url
from shared.db.engine import create_engine

DB = create_engine(database_url(WITNESS))
APP_REGISTRY = AppRegistry(apps=["services.witness.piccolo_app"])
