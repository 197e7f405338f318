"""The two Litestar services; each is assembled by its own ``create_app()``."""
