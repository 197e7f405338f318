"""Schemathesis against the witness's OpenAPI document, in-process: every operation, with
valid and invalid inputs, answers a non-5xx with the status, content type and body the
document declares. A real log checkpoint is cosigned first, so the read paths name one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hypothesis
import hypothesis.errors
import pytest
import schemathesis
from litestar import Litestar
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.result import Err
from schemathesis.generation import GenerationMode
from schemathesis.python import asgi

from services.witness.cosigning.domain import FollowedLog
from shared.log.note import Signer
from tests.conftest import DatabaseFactory
from tests.integration.witness._support import PREFIX, TestLog, witness_app

MAX_EXAMPLES = 25
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
_SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=False,
    suppress_health_check=list(hypothesis.HealthCheck),
)


@pytest.fixture
def witness(database_url: DatabaseFactory, tmp_path: Path) -> Iterator[Litestar]:
    signer = Signer.generate("vmeste-polls")
    app = witness_app(
        database_url("witness"), tmp_path / "keys", [FollowedLog(PREFIX, (signer.verifier,))]
    )
    try:
        with asgi.get_client(app) as client:  # type: ignore[arg-type] # Litestar is ASGI
            log = TestLog(PREFIX + "p1", signer)
            assert client.post("/add-checkpoint", data=log.body(0, 3)).status_code == 200
        yield app
    finally:
        asgi.shutdown_lifespans()


def test_every_documented_witness_operation_answers_as_documented(witness: Litestar) -> None:
    schema = schemathesis.openapi.from_asgi("/schema/openapi.json", witness)
    failures: list[str] = []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"an operation the fuzzer cannot read: {result.err()}")
            continue
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @_SETTINGS
            @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
            def call(case: schemathesis.Case[Any]) -> None:
                case.call_and_validate(checks=CHECKS, allow_redirects=False)

            try:
                call()
            except hypothesis.errors.Unsatisfiable:
                continue
            except (Exception, BaseExceptionGroup) as exc:  # reported together below
                failures.append(f"{operation.label} [{mode.value}]\n{str(exc)[:2000]}")
    assert not failures, "\n\n".join(failures)
