"""Piccolo's configuration for the discussions database, used by the migration commands only.

The running service binds its tables to its engine explicitly (see shared.web.runtime).
"""

from piccolo.conf.apps import AppRegistry

from shared.config import database_url
from shared.db.engine import create_engine

DB = create_engine(database_url("discussions"))
APP_REGISTRY = AppRegistry(apps=["services.discussions.piccolo_app"])
