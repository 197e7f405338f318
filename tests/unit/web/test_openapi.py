"""The OpenAPI document declares the problem+json errors the services really answer."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
import pytest
from litestar import get, post
from litestar.params import FromPath, JSONBody

from shared.config import load_settings
from shared.identity.guards import requires_role
from shared.web.app import build_app
from shared.web.openapi import problems


class _Item(msgspec.Struct, tag_field="kind", tag="a", frozen=True):
    value: int


class _Other(msgspec.Struct, tag_field="kind", tag="b", frozen=True):
    name: str


class _Bag(msgspec.Struct, frozen=True):
    items: Annotated[tuple[_Item | _Other, ...], msgspec.Meta(min_length=1, max_length=5)]


@get("/items/{item_id:str}", guards=[requires_role("auditor")], responses=problems(409))
async def _item(item_id: FromPath[str]) -> _Bag:
    return _Bag(items=())


@post("/items", status_code=204)
async def _add(data: JSONBody[_Bag]) -> None:
    return None


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    app = build_app(
        service="test",
        version="0",
        settings=load_settings({"VMESTE_REDIS_URL": "redis://127.0.0.1:1/0"}),
        route_handlers=[_item, _add],
    )
    return app.openapi_schema.to_schema()


def test_errors_are_documented_as_problems_with_the_refusals_a_route_implies(
    document: dict[str, Any],
) -> None:
    responses = document["paths"]["/items/{item_id}"]["get"]["responses"]
    assert {"401", "403", "404", "409"} <= responses.keys()
    for code in ("401", "403", "404", "409"):
        assert list(responses[code]["content"]) == ["application/problem+json"]
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]


def test_a_body_route_documents_400_and_413_and_its_204_has_no_content(
    document: dict[str, Any],
) -> None:
    responses = document["paths"]["/items"]["post"]["responses"]
    assert {"400", "413"} <= responses.keys()
    assert "content" not in responses["204"]


def test_a_variadic_tuple_of_a_union_accepts_each_item_exactly_once(
    document: dict[str, Any],
) -> None:
    items = document["components"]["schemas"]["_Bag"]["properties"]["items"]["items"]
    assert {} not in items.get("oneOf", [])
