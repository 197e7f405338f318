"""An HTTP client for an app running in the test's own event loop.

Litestar's AsyncTestClient runs the app in a separate thread and loop, which breaks tests
that share a database pool or Redis client between the test body and the app. This client
runs the app's lifespan and requests in the current loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from litestar import Litestar

__all__ = ("app_client",)


@asynccontextmanager
async def app_client(
    app: Litestar, base_url: str = "http://testserver"
) -> AsyncIterator[httpx.AsyncClient]:
    async with app.lifespan():
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            yield client
