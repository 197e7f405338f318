"""Piccolo's configuration for the identity database, used by the migration commands only.

The running services bind the identity tables to their own engine (see components).
"""

from piccolo.conf.apps import AppRegistry

from shared.config import database_url
from shared.db.engine import create_engine

DB = create_engine(database_url("identity"))
APP_REGISTRY = AppRegistry(apps=["shared.identity.piccolo_app"])
