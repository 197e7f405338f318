"""Every error path answers RFC 9457 problem+json without leaking internals."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import msgspec
import pytest
from litestar import get, post
from litestar.params import JSONBody
from litestar.testing import TestClient

from shared.config import load_settings
from shared.web.app import build_app
from shared.web.problems import ProblemError


class _Payload(msgspec.Struct, forbid_unknown_fields=True):
    count: int


@post("/echo")
async def _echo(data: JSONBody[_Payload]) -> dict[str, int]:
    return {"count": data.count}


@get("/boom")
async def _boom() -> None:
    raise RuntimeError("password=hunter2 at /srv/secret")


@get("/disk-full")
async def _disk_full() -> None:
    try:
        raise sqlite3.OperationalError("database or disk is full")
    except sqlite3.OperationalError as exc:
        raise RuntimeError("could not store") from exc


@get("/db-gone")
async def _db_gone() -> None:
    raise ConnectionRefusedError(111, "Connect call failed")


@get("/already")
async def _already() -> None:
    raise ProblemError(
        409,
        "already-voted",
        "Already voted",
        "You have voted in this poll.",
        extra={"tracking_code": "7K2M-Q9XD"},
        headers={"X-Hint": "1"},
    )


@get("/clash")
async def _clash() -> None:
    raise ProblemError(409, "not-yet", "Not yet", extra={"status": "open", "title": "x"})


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:  # type: ignore[type-arg]
    settings = load_settings(
        {"VMESTE_REDIS_URL": "redis://127.0.0.1:1/0", "VMESTE_MAX_BODY_BYTES": "1000"}
    )
    app = build_app(
        service="test",
        version="0",
        settings=settings,
        route_handlers=[_echo, _boom, _already, _disk_full, _db_gone, _clash],
    )
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def _post(client: TestClient, body: bytes) -> dict[str, object]:  # type: ignore[type-arg]
    response = client.post("/echo", content=body, headers={"content-type": "application/json"})
    assert response.headers["content-type"] == "application/problem+json"
    problem: dict[str, object] = response.json()
    assert problem["status"] == response.status_code
    return problem


def test_malformed_json_is_400_malformed_json(client: TestClient) -> None:  # type: ignore[type-arg]
    problem = _post(client, b'{"count":')
    assert problem["status"] == 400
    assert str(problem["type"]).endswith("/malformed-json")


def test_unknown_field_is_400_unknown_field(client: TestClient) -> None:  # type: ignore[type-arg]
    problem = _post(client, b'{"count": 1, "extra": true}')
    assert problem["status"] == 400
    assert str(problem["type"]).endswith("/unknown-field")
    assert "extra" in str(problem["errors"])


def test_wrong_type_is_400_invalid_request(client: TestClient) -> None:  # type: ignore[type-arg]
    problem = _post(client, b'{"count": "many"}')
    assert str(problem["type"]).endswith("/invalid-request")
    assert problem["errors"]


def test_oversized_body_is_413(client: TestClient) -> None:  # type: ignore[type-arg]
    problem = _post(client, b'{"count": 1}' + b" " * 2000)
    assert problem["status"] == 413
    assert str(problem["type"]).endswith("/body-too-large")


def test_unknown_path_is_404_problem(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["instance"] == "/nowhere"


def test_crash_is_500_without_internals(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in response.text
    assert "secret" not in response.text
    assert response.json()["request_id"] == response.headers["x-request-id"]


def test_problem_error_carries_extra_members_and_headers(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    response = client.get("/already")
    assert response.status_code == 409
    assert response.json()["tracking_code"] == "7K2M-Q9XD"
    assert str(response.json()["type"]).endswith("/already-voted")
    assert response.headers["x-hint"] == "1"


def test_extension_members_never_replace_the_standard_ones(
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    body = client.get("/clash").json()
    assert body["status"] == 409
    assert body["title"] == "Not yet"


def test_request_id_is_echoed_when_well_formed(client: TestClient) -> None:  # type: ignore[type-arg]
    response = client.get("/health/live", headers={"x-request-id": "abcdef123456"})
    assert response.headers["x-request-id"] == "abcdef123456"
    hostile = client.get("/health/live", headers={"x-request-id": "bad id\nwith newline"})
    assert hostile.headers["x-request-id"] != "bad id\nwith newline"
    assert len(hostile.headers["x-request-id"]) == 16


def test_security_headers_on_every_response(client: TestClient) -> None:  # type: ignore[type-arg]
    for path in ("/health/live", "/nowhere"):
        headers = client.get(path).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert headers["referrer-policy"] == "same-origin"


@pytest.mark.parametrize("path", ["/disk-full", "/db-gone"])
def test_unreachable_or_full_database_is_503_with_retry_after(
    client: TestClient,  # type: ignore[type-arg]
    path: str,
) -> None:
    response = client.get(path)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["type"].endswith("/unavailable")
    assert response.headers["content-type"] == "application/problem+json"
