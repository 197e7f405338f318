"""Browser tests: both services really running (granian, SQLite, their own Redis), driven by
the Debian Chromium through Playwright.

One stack per test session keeps the suite fast; tests create their own polls, so they do not
depend on each other's data. Screenshots go to ``test-output/screenshots/``.
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright import sync_api as playwright_api

from ops.localproc import start_redis, wait_listening
from shared.outbox.webhooks import generate_secret
from tests.browser.witness import TestWitness
from tests.harness.processes import free_port
from tests.harness.smtp import MailCatcher

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
TYUMEN_NAME = "Администрация города Тюмени"
TYUMEN_OKTMO = "71701000"

if not Path(CHROMIUM).exists():  # pragma: no cover - the install script provides it
    # Fail, never skip: a browser suite that silently does not run proves nothing.
    raise RuntimeError(f"{CHROMIUM} is missing: run scripts/install.sh (apt-get install chromium)")


@dataclass(frozen=True, slots=True)
class Stack:
    polls: str
    discussions: str
    allowed_parent: str
    refused_parent: str
    env: dict[str, str]
    witness: TestWitness
    """The one witness the polls' logs submit their checkpoints to (quorum 1)."""
    mail: MailCatcher
    """The SMTP server polls mails notifications through (aiosmtpd)."""


class _ParentPages(http.server.BaseHTTPRequestHandler):
    """A stand-in for an official site: ``/frame?src=<url>`` is a page framing ``src``."""

    def do_GET(self) -> None:
        src = self.path.split("src=", 1)[1] if "src=" in self.path else ""
        body = (
            "<!doctype html><html lang=ru><head><meta charset=utf-8><title>Official site</title>"
            "</head><body><h1>Official site</h1>"
            f'<iframe id="widget" src="{httpx.URL(src)}" title="Vmeste widget" '
            'width="640" height="760"></iframe></body></html>'
        ).encode()
        self.send_response(200)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def _parent_server() -> tuple[http.server.ThreadingHTTPServer, str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ParentPages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def _run(env: dict[str, str], *args: str) -> None:
    subprocess.run([sys.executable, *args], env=env, check=True, capture_output=True, timeout=120)


def _wait_ready(url: str, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not become ready")


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    data = tmp_path_factory.mktemp("vmeste-browser")
    redis = start_redis(data / "redis")
    allowed, allowed_url = _parent_server()
    refused, refused_url = _parent_server()
    witness = TestWitness()
    mail = MailCatcher()
    mail.start()
    ports = {"polls": free_port(), "discussions": free_port()}
    env = {
        **os.environ,
        "VMESTE_ENV": "dev",
        "VMESTE_DATA_DIR": str(data),
        "VMESTE_REDIS_URL": redis.url,
        "VMESTE_POLLS_PUBLIC_URL": f"http://localhost:{ports['polls']}",
        "VMESTE_DISCUSSIONS_PUBLIC_URL": f"http://localhost:{ports['discussions']}",
    }
    # The polls are witnessed, as the citizen's browser checks the quorum. The discussions are
    # not: a comment period without comments has only a checkpoint of size 0, which is never
    # taken to a witness, so its report would wait for a quorum that cannot come.
    witnessed = {
        "VMESTE_WITNESSES": json.dumps([{"url": witness.url, "key": witness.key}]),
        "VMESTE_WITNESS_QUORUM": "1",
    }
    # Notifications: polls mails through the test's SMTP server; discussions sends its authors'
    # events, signed, to polls' inbox.
    notifications = {"VMESTE_NOTIFICATIONS_SECRET": generate_secret()}
    service_env = {
        "polls": {
            **env,
            **witnessed,
            **mail.environ(),
            **notifications,
            "VMESTE_POLLS_OUTBOX_INTERVAL_S": "0.2",
        },
        "discussions": {
            **env,
            **notifications,
            "VMESTE_DISCUSSIONS_NOTIFY_URL": f"http://localhost:{ports['polls']}"
            "/internal/notifications/events",
            "VMESTE_DISCUSSIONS_OUTBOX_INTERVAL_S": "0.2",
        },
    }
    _run(
        env,
        "-c",
        "import pathlib,os; from ops.keys import ensure_keys; "
        "ensure_keys(pathlib.Path(os.environ['VMESTE_DATA_DIR']) / 'keys')",
    )
    _run(env, "-m", "cli.main", "migrate")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for name, port in ports.items():
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "granian",
                    "--interface",
                    "asgi",
                    "--factory",
                    f"services.{name}.app:create_app",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--workers",
                    "1",
                    "--log-level",
                    "warning",
                ],
                env=service_env[name],
            )
            procs.append(proc)
            wait_listening(port, proc, name, 60)
            _wait_ready(f"http://localhost:{port}", proc)
        # After start-up: the development seed resets the fixture organisations when a
        # service starts, so the test site is registered once both are running.
        _run(
            env,
            "-m",
            "cli.main",
            "roles",
            "organisation",
            "tyumen-city",
            "--name",
            TYUMEN_NAME,
            "--territory",
            TYUMEN_OKTMO,
            "--embed-origin",
            allowed_url,
        )
        yield Stack(
            polls=f"http://localhost:{ports['polls']}",
            discussions=f"http://localhost:{ports['discussions']}",
            allowed_parent=allowed_url,
            refused_parent=refused_url,
            env=service_env["polls"],
            witness=witness,
            mail=mail,
        )
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
        for server in (allowed, refused):
            server.shutdown()
            server.server_close()
        witness.close()
        mail.stop()
        redis.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    # Package scope: Playwright's sync API keeps an event loop running in this thread until
    # it stops, which would break every asyncio test collected after the browser tests.
    with playwright_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 1024, "height": 900}, locale="ru-RU")
    ctx.set_default_timeout(10_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    return context.new_page()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


def sign_in(page: Any, base: str, who: str, next_path: str = "/") -> None:
    """Sign in through the development provider's page, as a person would."""
    page.goto(f"{base}/auth/login?next={next_path}")
    page.locator(f'button[name="code"][value="{who}"]').click()
    page.wait_for_url(f"{base}{next_path}*")


def api_post(context: Any, url: str, **options: Any) -> Any:
    """POST to the JSON API with the browser context's session cookie, as a page's own script
    would: with the session's CSRF token, read from the page's ``csrf-token`` meta tag."""
    parts = urllib.parse.urlsplit(url)
    html = context.request.get(f"{parts.scheme}://{parts.netloc}/").text()
    found = re.search(r'<meta name="csrf-token" content="([^"]*)"', html)
    assert found is not None, "the page carries no CSRF token"
    headers = {**options.pop("headers", {}), "X-CSRF-Token": found.group(1)}
    return context.request.post(url, headers=headers, **options)


def open_poll(context: Any, base: str, body: dict[str, Any]) -> str:
    """Create, schedule and wait for a poll to open, through the JSON API with the browser's
    (official's) session; returns the poll id."""
    now = dt.datetime.now(dt.UTC)
    payload = {
        "organisation": "tyumen-city",
        "opens_at": (now - dt.timedelta(minutes=1)).isoformat(),
        "closes_at": (now + dt.timedelta(days=7)).isoformat(),
        "eligibility": {"min_age": 18, "confirmed_only": True},
        **body,
    }
    created = api_post(context, f"{base}/api/v1/polls/", data=payload)
    assert created.status == 201, created.text()
    poll_id = str(created.json()["id"])
    scheduled = api_post(context, f"{base}/api/v1/polls/{poll_id}/schedule")
    assert scheduled.status == 200, scheduled.text()
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if context.request.get(f"{base}/api/v1/polls/{poll_id}").json()["status"] == "open":
            return poll_id
        time.sleep(0.2)
    raise TimeoutError(f"poll {poll_id} did not open")
