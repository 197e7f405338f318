"""The OpenAPI document says what the services really answer when something goes wrong.

Litestar documents its own error shape as ``application/json``; every error here leaves as an
RFC 9457 ``application/problem+json`` (``shared.web.problems``). After the app is assembled
this rewrites each error response to the Problem schema and adds the refusals a route's shape
implies: 401 and 403 where a guard or a ``session`` parameter needs a person, 404 where a path
names an object, 413 where a body is read. Errors particular to one route are declared on it
with ``responses=problems(...)``. A route whose protocol fixes its own error bodies says so
with ``opt={"errors_as_text": True}`` and is left as it declares itself.

It also mends one schema Litestar gets wrong: a variadic tuple of a union
(``tuple[Question, ...]``) comes out as ``oneOf: [<the union>, {}]``, which no value can
satisfy exactly once, since ``{}`` accepts everything.
"""

from __future__ import annotations

import dataclasses
from http import HTTPStatus
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Reference,
    Schema,
)
from litestar.routes import HTTPRoute

from shared.web.problems import PROBLEM_MEDIA_TYPE, Problem

__all__ = ("document_problems", "problems")

_PROBLEM_REF = Reference(ref="#/components/schemas/Problem")
_PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="RFC 9457 problem details; extension members (e.g. tracking_code) may follow.",
    required=["type", "title", "status"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, format="uri"),  # type: ignore[arg-type]
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER),
        "detail": Schema(type=OpenAPIType.STRING),
        "instance": Schema(type=OpenAPIType.STRING),
        "request_id": Schema(type=OpenAPIType.STRING),
        "errors": Schema(type=OpenAPIType.ARRAY, items=Schema(type=OpenAPIType.OBJECT)),
    },
    additional_properties=True,
)
_NO_CONTENT = {204, 304}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """``responses=`` for a route handler: each status answered as a problem+json."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=HTTPStatus(status).phrase,
            generate_examples=False,
        )
        for status in statuses
    }


def _problem_response(status: int) -> OpenAPIResponse:
    return OpenAPIResponse(
        description=HTTPStatus(status).phrase,
        content={PROBLEM_MEDIA_TYPE: OpenAPIMediaType(schema=_PROBLEM_REF)},
    )


def _implied(handler: HTTPRouteHandler, route: HTTPRoute) -> set[int]:
    """Refusals a route's shape implies, whatever its handler does."""
    statuses: set[int] = set()
    parameters = handler.parsed_fn_signature.parameters
    if handler.resolve_guards() or "session" in parameters:
        statuses |= {401, 403}
    if route.path_parameters:
        statuses.add(404)
    if "data" in parameters:
        statuses |= {400, 413}
    return statuses


def _fix_operation(operation: Operation, implied: set[int]) -> None:
    responses: dict[str, Any] = dict(operation.responses or {})
    for code in implied:
        responses.setdefault(str(code), _problem_response(code))
    for key, response in list(responses.items()):
        if not key.isdigit() or not isinstance(response, OpenAPIResponse):
            continue
        if int(key) >= 400:
            responses[key] = _problem_response(int(key))
        elif int(key) in _NO_CONTENT:
            response.content = None
    operation.responses = responses


def _is_anything(schema: Schema | Reference) -> bool:
    return isinstance(schema, Schema) and not schema.to_schema()


def _mend_one_of(node: object) -> None:
    """Drop the accept-anything member from every ``oneOf`` under ``node``."""
    if isinstance(node, Schema) and node.one_of:
        node.one_of = [member for member in node.one_of if not _is_anything(member)]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        for field in dataclasses.fields(node):
            _mend_one_of(getattr(node, field.name))
    elif isinstance(node, list | tuple):
        for item in node:
            _mend_one_of(item)
    elif isinstance(node, dict):
        for item in node.values():
            _mend_one_of(item)


def document_problems(app: Litestar) -> OpenAPI:
    """Rewrite ``app``'s (cached) OpenAPI document in place; call once, before serving."""
    document = app.openapi_schema
    document.components.schemas["Problem"] = _PROBLEM_SCHEMA
    for route in app.routes:
        if not isinstance(route, HTTPRoute) or document.paths is None:
            continue
        path_item = document.paths.get(route.path_format or "/")
        if path_item is None:
            continue
        for method, (handler, _) in route.route_handler_map.items():
            operation = getattr(path_item, method.lower(), None)
            if handler.opt.get("errors_as_text"):
                continue  # a protocol that fixes its own error bodies (tlog-witness)
            if isinstance(operation, Operation) and handler.resolve_include_in_schema():
                _fix_operation(operation, _implied(handler, route))
    _mend_one_of(document)
    return document
