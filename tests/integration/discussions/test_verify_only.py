"""In production the discussions service only verifies sessions: it starts with the public
session keys and its own secret (no pepper, no private key, no polls database), accepts the
tokens the sign-in component (polls) issues, serves no sign-in of its own and sends people to
the sign-in component's, and signs them out with its own CSRF key."""

from __future__ import annotations

import datetime as dt
import functools
import html
import re
import secrets
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from services.discussions.app import create_app
from services.discussions.settings import DiscussionsSettings, load_discussions_settings
from services.discussions.site_secret import SECRET_FILE
from shared.config import MissingSettingError, Settings, load_settings
from shared.identity.keys import SessionKeyRing, export_public_keys
from shared.identity.tokens import SessionClaims, TokenService
from tests.conftest import DatabaseFactory

POLLS = "https://vmeste.example.org/polls"
DISCUSSIONS = "https://vmeste.example.org/discussions"
OPTIONS = DiscussionsSettings(webhook_url=None, scheduler_interval_s=1, outbox_interval_s=1)
ISSUING_ROUTES = ("/auth/login", "/auth/callback", "/auth/refresh", "/auth/dev")


def _sign_in_component_keys(tmp_path: Path) -> SessionKeyRing:
    """The private key ring, as only the polls pods hold it."""
    return SessionKeyRing.load(tmp_path / "polls-keys", create=True)


def _discussions_keys(tmp_path: Path, *, public: bool = True, secret: bool = True) -> Path:
    """The discussions pods' keys folder: public session keys and the discussions secret."""
    folder = tmp_path / "discussions-keys"
    (folder / "session").mkdir(parents=True)
    if public:
        export_public_keys(tmp_path / "polls-keys", folder / "session")
    if secret:
        (folder / SECRET_FILE).write_bytes(secrets.token_bytes(32))
    return folder


def _production(keys_dir: Path, redis_url: str, **databases: str) -> Settings:
    # No VMESTE_PEPPER, no VMESTE_POLLS_DATABASE_URL, no ESIA settings: the discussions pod
    # is given none of them.
    return load_settings(
        {
            "VMESTE_ENV": "prod",
            "VMESTE_IDENTITY_PROVIDER": "esia",
            "VMESTE_REDIS_URL": redis_url,
            "VMESTE_KEYS_DIR": str(keys_dir),
            "VMESTE_DATA_DIR": str(keys_dir.parent / "data"),
            "VMESTE_POLLS_PUBLIC_URL": POLLS,
            "VMESTE_DISCUSSIONS_PUBLIC_URL": DISCUSSIONS,
            **{f"VMESTE_{name.upper()}_DATABASE_URL": url for name, url in databases.items()},
        }
    )


def _issued_by_polls(ring: SessionKeyRing, sid: str | None = None) -> str:
    claims = SessionClaims(
        sub="c" * 64,
        trusted=True,
        birth_date=dt.date(1980, 5, 17),
        oktmo="92701000001",
        region="92",
        roles=("citizen",),
        orgs=(),
        sid=sid or secrets.token_hex(8),
    )
    return TokenService(ring, lifetime=dt.timedelta(minutes=15)).issue(claims)[0]


@pytest.fixture
def app(tmp_path: Path, database_url: DatabaseFactory, redis_url: str) -> Litestar:
    _sign_in_component_keys(tmp_path)
    settings = _production(
        _discussions_keys(tmp_path),
        redis_url,
        discussions=database_url("discussions"),
        identity=database_url("identity"),
    )
    return create_app(settings, OPTIONS)


async def test_it_accepts_the_sign_in_components_tokens_and_issues_none(
    app: Litestar, tmp_path: Path
) -> None:
    token = _issued_by_polls(_sign_in_component_keys(tmp_path))
    paths = {route.path for route in app.routes}
    assert not paths & set(ISSUING_ROUTES), paths & set(ISSUING_ROUTES)
    async with AsyncTestClient(app) as client:
        me = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
        assert me.json()["sub"] == "c" * 64
        for path in ISSUING_ROUTES:
            assert (await client.get(path)).status_code in (404, 405), path
        assert app.state.identity.issuing is False
        with pytest.raises(RuntimeError, match="verifies sessions only"):
            app.state.identity.subject("any-oid")


async def test_its_sign_in_link_leads_to_the_sign_in_component_and_back(app: Litestar) -> None:
    async with AsyncTestClient(app) as client:
        page = await client.get("/", params={"lang": "en"})
        assert page.status_code == 200, page.text
        links = [
            html.unescape(href) for href in re.findall(r'href="([^"]*auth/login[^"]*)"', page.text)
        ]
        assert links
        for link in links:
            parts = urlsplit(link)
            assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{POLLS}/auth/login"
            assert parse_qs(parts.query)["next"] == [f"{DISCUSSIONS}/?lang=en"]


async def test_it_signs_out_everywhere_with_its_own_csrf_key(app: Litestar, tmp_path: Path) -> None:
    async with AsyncTestClient(app) as client:
        # A session the sign-in component opened (the store is shared: identity database),
        # opened in the app's own event loop, where its connection pool lives.
        record, _ = client.blocking_portal.call(
            functools.partial(
                app.state.identity.sessions.open,
                sub="c" * 64,
                trusted=True,
                birth_date=dt.date(1980, 5, 17),
                oktmo="92701000001",
                region="92",
            )
        )
        token = _issued_by_polls(_sign_in_component_keys(tmp_path), record.sid)
        cookie = {"Cookie": f"__Host-vmeste_session={token}"}
        page = await client.get("/", headers=cookie)
        form = re.search(
            r'<form method="post" action="([^"]*/auth/logout/everywhere[^"]*)".*?'
            r'name="csrf_token" value="([^"]+)"',
            page.text,
            re.DOTALL,
        )
        assert form is not None, page.text
        action = urlsplit(html.unescape(form.group(1)))
        # The form goes to this service (which knows its CSRF key), and comes back here.
        assert f"{action.scheme}://{action.netloc}{action.path}" == (
            f"{DISCUSSIONS}/auth/logout/everywhere"
        )
        assert parse_qs(action.query)["next"] == [f"{DISCUSSIONS}/"]
        forged = await client.post(
            "/auth/logout/everywhere", headers=cookie, data={"csrf_token": "A" * 43}
        )
        assert forged.status_code == 403
        out = await client.post(
            "/auth/logout/everywhere",
            params={"next": f"{DISCUSSIONS}/"},
            headers=cookie,
            data={"csrf_token": form.group(2)},
            follow_redirects=False,
        )
        assert out.status_code == 303, out.text
        assert out.headers["location"] == f"{DISCUSSIONS}/"
        me = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 401


@pytest.mark.parametrize(
    ("public", "secret", "private", "named"),
    [
        (False, True, False, "no public session key"),
        (True, False, False, "no discussions secret"),
        (True, True, True, "holds private session keys"),
    ],
)
def test_it_refuses_to_start_without_exactly_its_own_keys(
    tmp_path: Path,
    database_url: DatabaseFactory,
    redis_url: str,
    public: bool,
    secret: bool,
    private: bool,
    named: str,
) -> None:
    ring = _sign_in_component_keys(tmp_path)
    keys_dir = _discussions_keys(tmp_path, public=public, secret=secret)
    if private:  # the private Secret mounted here by mistake
        pem = tmp_path / "polls-keys" / "session" / f"{ring.current_kid}.pem"
        (keys_dir / "session" / pem.name).write_bytes(pem.read_bytes())
    settings = _production(
        keys_dir,
        redis_url,
        discussions=database_url("discussions"),
        identity=database_url("identity"),
    )
    with pytest.raises(MissingSettingError, match="VMESTE_KEYS_DIR") as refused:
        create_app(settings, OPTIONS)
    assert named in str(refused.value)


@pytest.mark.parametrize("missing", ["discussions", "identity"])
def test_it_refuses_to_start_without_its_database_urls(
    tmp_path: Path, database_url: DatabaseFactory, redis_url: str, missing: str
) -> None:
    _sign_in_component_keys(tmp_path)
    given = {name: database_url(name) for name in ("discussions", "identity") if name != missing}
    settings = _production(_discussions_keys(tmp_path), redis_url, **given)
    with pytest.raises(MissingSettingError, match=f"VMESTE_{missing.upper()}_DATABASE_URL"):
        create_app(settings, OPTIONS)


def test_issuing_sessions_is_refused_in_production(
    tmp_path: Path, database_url: DatabaseFactory, redis_url: str
) -> None:
    _sign_in_component_keys(tmp_path)
    settings = _production(
        _discussions_keys(tmp_path),
        redis_url,
        discussions=database_url("discussions"),
        identity=database_url("identity"),
    )
    options = load_discussions_settings({"VMESTE_DISCUSSIONS_SESSIONS": "issue"})
    with pytest.raises(MissingSettingError, match="VMESTE_DISCUSSIONS_SESSIONS"):
        create_app(settings, options)
    with pytest.raises(MissingSettingError, match="VMESTE_DISCUSSIONS_SESSIONS"):
        load_discussions_settings({"VMESTE_DISCUSSIONS_SESSIONS": "both"})


async def test_in_development_it_may_verify_only_too(
    tmp_path: Path, database_url: DatabaseFactory, redis_url: str
) -> None:
    # The dev overlay runs VMESTE_ENV=dev (fixture people) with the production split.
    ring = _sign_in_component_keys(tmp_path)
    settings = load_settings(
        {
            "VMESTE_REDIS_URL": redis_url,
            "VMESTE_KEYS_DIR": str(_discussions_keys(tmp_path)),
            "VMESTE_DATA_DIR": str(tmp_path / "data"),
            "VMESTE_DISCUSSIONS_DATABASE_URL": database_url("discussions"),
            "VMESTE_IDENTITY_DATABASE_URL": database_url("identity"),
        }
    )
    options = load_discussions_settings({"VMESTE_DISCUSSIONS_SESSIONS": "verify"})
    app = create_app(settings, options)
    assert not {route.path for route in app.routes} & set(ISSUING_ROUTES)
    async with AsyncTestClient(app) as client:
        token = _issued_by_polls(ring)
        me = await client.get("/me", headers={"Authorization": f"Bearer {token}"})
        assert me.status_code == 200, me.text
    assert not (tmp_path / "discussions-keys" / "pepper").exists()
