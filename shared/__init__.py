"""The library both services import. It never imports from ``services``."""
