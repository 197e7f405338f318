"""The identity Piccolo app: the registry and sign-in sessions, with their migrations."""

import os

from piccolo.conf.apps import AppConfig

from shared.identity.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="identity",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
