"""Session-wide real dependencies: a redis-server and a PostgreSQL the tests start themselves.

Database tests take ``database_url``, parametrised over SQLite and PostgreSQL: each test gets a
fresh database copied from a template that was migrated once per session, so the migrations
themselves are what every test runs on.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from shared.db.migrate import migrate
from tests.harness.processes import PostgresProcess, RedisProcess, start_postgres, start_redis

DatabaseFactory = Callable[[str], str]

# Hundreds of sign-ins and comments from 127.0.0.1 would trip the abuse limits; the limits
# have their own tests, which switch them on explicitly.
os.environ["VMESTE_RATE_LIMITS"] = "off"

_FIGURES: list[str] = []


@pytest.fixture
def report_figures(request: pytest.FixtureRequest) -> Callable[[str], None]:
    """Adds a line to the run's closing "figures" section: what a test measured, next to its
    target, shown whether the test passed or not."""

    def report(line: str) -> None:
        # Carried by the test's report, so a line measured in a pytest-xdist worker reaches
        # the summary the controller prints.
        request.node.user_properties.append(("figure", line))

    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when == "teardown":
        _FIGURES.extend(str(value) for name, value in report.user_properties if name == "figure")


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _FIGURES:
        terminalreporter.section("figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisProcess]:
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_url(redis_server: RedisProcess) -> str:
    return redis_server.url


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresProcess]:
    server = start_postgres()
    yield server
    server.destroy()


class _Templates:
    """Per-session migrated template databases, one per (backend, component)."""

    def __init__(self, folder: Path, postgres: Callable[[], PostgresProcess]) -> None:
        self._folder = folder
        self._postgres = postgres
        self._done: set[tuple[str, str]] = set()

    def sqlite(self, component: str) -> Path:
        path = self._folder / f"template-{component}.sqlite"
        if ("sqlite", component) not in self._done:
            migrate(component, f"sqlite:///{path}")
            self._done.add(("sqlite", component))
        return path

    def postgres(self, component: str) -> str:
        server = self._postgres()
        name = f"template_{component}"
        if ("postgres", component) not in self._done:
            server.sql(f"CREATE DATABASE {name}")
            migrate(component, server.url(name))
            self._done.add(("postgres", component))
        return name


@pytest.fixture(scope="session")
def _templates(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> _Templates:
    return _Templates(
        tmp_path_factory.mktemp("templates"),
        lambda: request.getfixturevalue("postgres_server"),  # started only if a test needs it
    )


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(
    database_backend: str,
    _templates: _Templates,
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> DatabaseFactory:
    """``database_url("polls")`` → URL of a fresh, fully migrated database for this test."""

    def make(component: str) -> str:
        if database_backend == "sqlite":
            path = tmp_path / f"{component}-{uuid.uuid4().hex[:8]}.sqlite"
            shutil.copyfile(_templates.sqlite(component), path)
            return f"sqlite:///{path}"
        server: PostgresProcess = request.getfixturevalue("postgres_server")
        template = _templates.postgres(component)
        name = f"t_{component}_{uuid.uuid4().hex[:12]}"
        server.sql(f"CREATE DATABASE {name} TEMPLATE {template}")
        return server.url(name)

    return make
