"""The witness's Piccolo app: its tables and migrations."""

import os

from piccolo.conf.apps import AppConfig

from services.witness.tables import TABLES

APP_CONFIG = AppConfig(
    app_name="witness",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "piccolo_migrations"),
    table_classes=list(TABLES),
    migration_dependencies=[],
    commands=[],
)
