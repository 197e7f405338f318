"""A handler's synchronous dependencies resolve in its own task; waiting ones still together."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from litestar import Litestar, get
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotAuthorizedException

from shared.web.app import build_app
from tests.harness.asgi import app_client


@dataclass
class _Limits:
    max_body_bytes: int = 1_000


def _task_name() -> str:
    task = asyncio.current_task()
    assert task is not None
    return task.get_name()


def _first() -> str:
    return _task_name()


def _second() -> str:
    return _task_name()


def _third() -> str:
    return _task_name()


@get(
    "/sync",
    dependencies={
        "first": Provide(_first, sync_to_thread=False),
        "second": Provide(_second, sync_to_thread=False),
        "third": Provide(_third, sync_to_thread=False),
    },
)
async def _sync_handler(
    first: NamedDependency[str], second: NamedDependency[str], third: NamedDependency[str]
) -> dict[str, str]:
    return {"handler": _task_name(), "deps": f"{first},{second},{third}"}


def _refuse() -> str:
    raise NotAuthorizedException("no")


@get(
    "/refused",
    dependencies={
        "first": Provide(_first, sync_to_thread=False),
        "refused": Provide(_refuse, sync_to_thread=False),
    },
)
async def _refused_handler(first: NamedDependency[str], refused: NamedDependency[str]) -> str:
    return "unreachable"


_ping, _pong = asyncio.Event(), asyncio.Event()


async def _waits_for_pong() -> str:
    _ping.set()
    await asyncio.wait_for(_pong.wait(), 5)
    return "a"


async def _waits_for_ping() -> str:
    _pong.set()
    await asyncio.wait_for(_ping.wait(), 5)
    return "b"


@get("/waiting", dependencies={"a": Provide(_waits_for_pong), "b": Provide(_waits_for_ping)})
async def _waiting_handler(a: NamedDependency[str], b: NamedDependency[str]) -> str:
    return a + b


def _app() -> Litestar:
    return build_app(
        service="deps",
        version="0",
        settings=_Limits(),
        route_handlers=[_sync_handler, _refused_handler, _waiting_handler],
    )


async def test_synchronous_dependencies_run_in_the_request_task_not_a_task_group() -> None:
    async with app_client(_app()) as client:
        body = (await client.get("/sync")).json()
    assert body["deps"] == ",".join([body["handler"]] * 3)


async def test_a_refusing_dependency_refuses_the_request() -> None:
    async with app_client(_app()) as client:
        assert (await client.get("/refused")).status_code == 401


async def test_dependencies_that_wait_on_each_other_still_resolve_together() -> None:
    async with app_client(_app()) as client:
        response = await client.get("/waiting")
    assert response.status_code == 200
    assert response.text == "ab"
