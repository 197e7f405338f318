"""Behind the production ingress the pages still lead somewhere.

Both services are published on one host under /polls and /discussions, and the ingress strips
that prefix before proxying (deploy/k8s/base/shared/ingress.yaml). A page that links to
``/manage`` instead of ``/polls/manage`` works in development and is a dead end in production.
This test runs ``vmeste dev`` behind nginx routed with the manifest's own path rules, signs in
through the published /auth, fills the official's forms, follows their redirects, and then
crawls every link, asset and form of the pages it can reach: nothing may lead to an unrouted
path.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import httpx
import pytest
import yaml  # type: ignore[import-untyped]  # stubs are not a project dependency

from tests.harness.processes import free_port

pytestmark = pytest.mark.slow

INGRESS = Path(__file__).parents[2] / "deploy" / "k8s" / "base" / "shared" / "ingress.yaml"
MAX_VISITS = 250


def _ingress_locations(ports: dict[str, int]) -> str:
    """nginx locations doing what ingress-nginx makes of the manifest: a regex path per
    service rewritten to ``/$2`` (the prefix stripped), and /auth proxied whole."""
    locations = []
    for document in yaml.safe_load_all(INGRESS.read_text()):
        rewrites = "rewrite-target" in str(document["metadata"].get("annotations", {}))
        for rule in document["spec"]["rules"]:
            for path in rule["http"]["paths"]:
                service = path["backend"]["service"]["name"]
                regex = "^" + path["path"]
                rewrite = f'rewrite "{regex}" /$2 break;' if rewrites else ""
                locations.append(
                    f'location ~* "{regex}" {{ {rewrite} '
                    f"proxy_pass http://127.0.0.1:{ports[service]}; }}"
                )
    return "\n".join(locations)


@dataclass
class Published:
    url: str
    """The public host, as the browser sees it."""


def _start_nginx(folder: Path, port: int, ports: dict[str, int]) -> subprocess.Popen[bytes]:
    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    temp = folder / "nginx-temp"
    temp.mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    runs_as = "user root;" if os.geteuid() == 0 else ""
    conf.write_text(
        textwrap.dedent(f"""\
        {runs_as}
        worker_processes 1;
        daemon off;
        pid {folder}/nginx.pid;
        error_log {folder}/nginx-error.log warn;
        events {{ worker_connections 256; }}
        http {{
            access_log off;
            client_body_temp_path {temp}/body;
            proxy_temp_path {temp}/proxy;
            fastcgi_temp_path {temp}/fastcgi;
            uwsgi_temp_path {temp}/uwsgi;
            scgi_temp_path {temp}/scgi;
            proxy_set_header Host $http_host;
            server {{
                listen 127.0.0.1:{port};
                # What no rule names is not routed, as at the ingress.
                location / {{ return 404 "unrouted"; }}
        """)
        + textwrap.indent(_ingress_locations(ports), " " * 8)
        + "\n    }\n}\n"
    )
    return subprocess.Popen([binary, "-p", str(folder), "-c", str(conf)], start_new_session=True)


def _wait_for(predicate: object, what: str, within_s: float) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            if callable(predicate) and predicate():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up within {within_s} s")


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Published]:
    folder = tmp_path_factory.mktemp("published")
    ports = {"polls": free_port(), "discussions": free_port()}
    public = free_port()
    host = f"http://127.0.0.1:{public}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("VMESTE_")}
    env["VMESTE_POLLS_PUBLIC_URL"] = f"{host}/polls"
    env["VMESTE_DISCUSSIONS_PUBLIC_URL"] = f"{host}/discussions"
    dev = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cli.main",
            "dev",
            "--data-dir",
            str(folder / "data"),
            "--polls-port",
            str(ports["polls"]),
            "--discussions-port",
            str(ports["discussions"]),
            "--witness-port",
            str(free_port()),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    nginx = _start_nginx(folder, public, ports)
    try:
        for service, port in ports.items():
            _wait_for(
                lambda port=port: httpx.get(f"http://127.0.0.1:{port}/health/ready").is_success,
                service,
                120,
            )
        _wait_for(lambda: httpx.get(f"{host}/polls/").is_success, "nginx", 20)
        yield Published(host)
    finally:
        for proc in (dev, nginx):
            proc.send_signal(signal.SIGINT if proc is dev else signal.SIGTERM)
        for proc in (dev, nginx):
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()


class _Links(HTMLParser):
    """Every URL a page makes the browser ask for: links, assets, forms (with their method)."""

    def __init__(self) -> None:
        super().__init__()
        self.gets: list[str] = []
        self.posts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            target = found.get("action", "")
            (self.posts if found.get("method", "get").lower() == "post" else self.gets).append(
                target
            )
        for attribute in ("href", "src", "hx-get"):
            if attribute in found and tag != "form":
                self.gets.append(found[attribute])


def _links(page: str) -> _Links:
    parser = _Links()
    parser.feed(page)
    return parser


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None, "page form without a CSRF token"
    return found.group(1)


def _sign_in(client: httpx.Client, start_page: str, who: str) -> httpx.Response:
    """From a page's own sign-in link through the development provider, back to that page."""
    page = client.get(start_page)
    assert page.status_code == 200, page.text
    link = re.search(r'<a class="button" href="([^"]+)">', page.text)
    assert link is not None, "no sign-in link on the page"
    start = client.get(link.group(1).replace("&amp;", "&"), follow_redirects=False)
    assert start.status_code == 303, (link.group(1), start.status_code, start.text)
    provider = client.get(start.headers["location"])
    assert provider.status_code == 200, provider.text
    state = re.search(r'name="state" value="([^"]+)"', provider.text)
    assert state is not None
    done = client.get(
        "/auth/callback", params={"code": who, "state": state.group(1)}, follow_redirects=False
    )
    assert done.status_code == 303, done.text
    assert done.headers["location"] == start_page, "sign-in must come back to the page"
    return client.get(done.headers["location"])


def _local(time_: dt.datetime) -> str:
    return time_.strftime("%Y-%m-%dT%H:%M")


def _official_fills_forms(client: httpx.Client) -> None:
    """Pages forms answer with redirects the ingress routes (each followed to a 200)."""
    form = client.get("/discussions/manage/drafts/new")
    assert form.status_code == 200, form.text
    created = client.post(
        "/discussions/manage/drafts/new",
        data={
            "csrf_token": _csrf(form.text),
            "organisation": "tyumen-city",
            "title": "Правила благоустройства",
            "kind": "решение",
            "summary": "",
            "official_position": "",
            "markdown": "# 1. Общие положения\n\nТекст.\n",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303, created.text
    draft_page = created.headers["location"]
    assert draft_page.startswith("/discussions/manage/drafts/"), draft_page
    draft = client.get(draft_page)
    assert draft.status_code == 200, draft.text
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    period = client.post(
        f"{draft_page}/periods",
        data={
            "csrf_token": _csrf(draft.text),
            "starts_at": _local(soon),
            "ends_at": _local(soon + dt.timedelta(days=30)),
            "min_age": "18",
            "confirmed_only": "on",
        },
        follow_redirects=False,
    )
    assert period.status_code == 303, period.text
    assert period.headers["location"].startswith("/discussions/manage/periods/")
    assert client.get(period.headers["location"]).status_code == 200

    token = client.cookies["vmeste_session"]
    now = dt.datetime.now(dt.UTC)
    poll = client.post(
        "/polls/api/v1/polls",
        headers={"authorization": f"Bearer {token}"},
        json={
            "organisation": "tyumen-city",
            "title": "Парк у реки",
            "kind": "survey",
            "questions": [
                {
                    "kind": "single_choice",
                    "id": "q1",
                    "text": "Что построить?",
                    "options": [{"id": "a", "label": "Сквер"}, {"id": "b", "label": "Площадку"}],
                }
            ],
            "eligibility": {},
            "opens_at": (now + dt.timedelta(hours=1)).isoformat(),
            "closes_at": (now + dt.timedelta(days=7)).isoformat(),
        },
    )
    assert poll.status_code == 201, poll.text
    manage = f"/polls/manage/polls/{poll.json()['id']}"
    page = client.get(manage)
    assert page.status_code == 200, page.text
    scheduled = client.post(
        f"{manage}/schedule", data={"csrf_token": _csrf(page.text)}, follow_redirects=False
    )
    assert scheduled.status_code == 303, scheduled.text
    assert scheduled.headers["location"] == manage
    assert "Запланирован" in client.get(manage).text or "scheduled" in client.get(manage).text


def _crawl(client: httpx.Client, seeds: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Visit every same-host URL reachable from ``seeds``; post (without a token) to every
    form. Returns the status of each URL asked for and of each form posted to."""
    host = str(client.base_url).rstrip("/")
    seen: dict[str, int] = {}
    posted: dict[str, int] = {}
    queue = list(seeds)
    while queue and len(seen) < MAX_VISITS:
        url = queue.pop(0)
        if url in seen:
            continue
        response = client.get(url)
        seen[url] = response.status_code
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        links = _links(response.text)
        for target in links.gets:
            absolute = urljoin(host + url, target.replace("&amp;", "&"))
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != host or parts.path.startswith("/auth/"):
                continue
            if "lang" in parse_qs(parts.query) and parts.path != "/polls/":
                continue  # language links differ only by their query; one page checks them
            path = parts.path + (f"?{parts.query}" if parts.query else "")
            if path not in seen:
                queue.append(path)
        for target in links.posts:
            path = urlsplit(urljoin(host + url, target)).path
            if "/auth/logout" in path or path in posted:
                continue  # signing out would end the crawl; the layout test covers it
            posted[path] = client.post(path, data={}, follow_redirects=False).status_code
    return seen, posted


def _dead(statuses: dict[str, int]) -> dict[str, int]:
    return {
        url: status for url, status in statuses.items() if status in (404, 405) or status >= 500
    }


def test_every_link_form_and_redirect_of_the_pages_is_routed_by_the_ingress(
    published: Published,
) -> None:
    with httpx.Client(base_url=published.url, timeout=30) as client:
        home = _sign_in(client, "/polls/", "official-tyumen")
        assert home.status_code == 200
        _official_fills_forms(client)
        seen, posted = _crawl(
            client,
            [
                "/polls/",
                "/polls/?lang=en",
                "/polls/manage",
                "/polls/audit",
                "/discussions/",
                "/discussions/manage",
                "/discussions/moderation",
                "/discussions/my/comments",
                "/discussions/audit",
            ],
        )
    assert len(seen) > 20, seen
    assert posted, "the official's pages carry forms"
    assert _dead(seen) == {}, "links to unrouted or missing paths"
    assert _dead(posted) == {}, "forms posting to unrouted paths"
    # Without a token a form is refused (403), never routed nowhere or accepted.
    assert set(posted.values()) <= {303, 400, 401, 403}, posted


def test_sign_in_from_a_discussions_page_comes_back_to_it(published: Published) -> None:
    with httpx.Client(base_url=published.url, timeout=30) as client:
        page = _sign_in(client, "/discussions/", "citizen-tyumen")
        assert page.status_code == 200
        assert f'href="{published.url}/discussions/my/comments"' in page.text, "signed in"


def test_the_admins_registry_pages_lead_somewhere_behind_the_ingress(published: Published) -> None:
    with httpx.Client(base_url=published.url, timeout=30) as client:
        refused = client.get("/polls/admin", follow_redirects=False)
        assert refused.status_code == 303
        assert refused.headers["location"].startswith("/polls/auth/login?next=%2Fpolls%2Fadmin")
        assert _sign_in(client, "/polls/", "admin").status_code == 200
        seen, posted = _crawl(client, ["/polls/admin", "/polls/admin/trail"])
    assert any(url.startswith("/polls/admin/organisations/") for url in seen), seen
    assert _dead(seen) == {}, "links to unrouted or missing paths"
    assert _dead(posted) == {}, "forms posting to unrouted paths"
