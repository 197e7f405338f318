"""Sign-in through the fake ESIA against an imported register: an address at each level —
house, street, settlement, city — gives its municipality; an unknown code is refused,
counted and listed for the operators; municipality names are looked up for the pages."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from shared.config import Settings
from shared.identity import identity_components
from shared.identity.registry import grant
from shared.identity.territory import find_regions, import_region
from shared.metrics import UNKNOWN_ADDRESS_CODES
from shared.web.app import build_app
from shared.web.ui.plugin import UiPlugin
from tests.integration.identity import gar_extract as g
from tests.integration.identity.fake_esia import (
    ADDRESS_AT,
    CLIENT_ID,
    MOSCOW_FIAS,
    TYUMEN_FIAS,
    Account,
    FakeEsia,
    running_fake_esia,
)

Client = AsyncTestClient[Litestar]
UNKNOWN_HOUSE = g.guid(4242)
AUDITOR_OID = "1000300099"
ACCOUNTS = {
    **{
        f"code-{level}": Account(f"10003000{n:02d}", True, "17.05.1990", code)
        for n, (level, (code, _)) in enumerate(ADDRESS_AT.items())
    },
    "code-fixture-city": Account("1000300010", True, "17.05.1990", TYUMEN_FIAS),
    "code-unknown": Account("1000300011", True, "17.05.1990", UNKNOWN_HOUSE),
    "code-moscow": Account("1000300012", True, "17.05.1990", MOSCOW_FIAS),
    "code-auditor": Account(AUDITOR_OID, True, "03.04.1970", ADDRESS_AT["house"][0]),
}


@pytest.fixture(scope="module")
def esia() -> Iterator[FakeEsia]:
    with running_fake_esia(ACCOUNTS) as fake:
        yield fake


@pytest.fixture
def esia_environ(esia: FakeEsia, tmp_path: Path) -> dict[str, str]:
    key = tmp_path / "esia.pem"
    key.write_text(esia.public_key_pem)
    return {
        "VMESTE_ESIA_BASE_URL": esia.base_url,
        "VMESTE_ESIA_CLIENT_ID": CLIENT_ID,
        "VMESTE_ESIA_SIGNER_URL": esia.signer_url,
        "VMESTE_ESIA_ID_TOKEN_KEY_FILE": str(key),
    }


@pytest.fixture
async def imported(identity_url: str, tmp_path: Path) -> str:
    (region,) = find_regions(g.write_region(tmp_path / "gar", "72", g.TYUMEN))
    await import_region(identity_url, region)
    return identity_url


@pytest.fixture
def make_esia_app(
    imported: str, settings_for: Callable[..., Settings], esia_environ: dict[str, str]
) -> Callable[[], Litestar]:
    """Apps as a service builds them, with their pages: sign-in through ESIA."""

    def make() -> Litestar:
        settings = settings_for(VMESTE_IDENTITY_PROVIDER="esia")
        identity = identity_components(settings, service="polls", environ=esia_environ)
        return build_app(
            service="polls",
            version="test",
            settings=settings,
            route_handlers=identity.route_handlers,
            middleware=identity.middleware,
            dependencies=identity.dependencies,
            lifespan=identity.lifespan,
            readiness=identity.readiness,
            plugins=[UiPlugin.for_service("polls", settings, [], [])],
        )

    return make


@pytest.fixture
def esia_app(make_esia_app: Callable[[], Litestar]) -> Litestar:
    return make_esia_app()


async def _callback(client: Client, code: str) -> httpx.Response:
    start = await client.get("/auth/login", follow_redirects=False)
    query = {k: v[0] for k, v in parse_qs(urlsplit(start.headers["location"]).query).items()}
    return await client.get(
        "/auth/callback", params={"code": code, "state": query["state"]}, follow_redirects=False
    )


async def _sign_in(client: Client, code: str) -> dict[str, object]:
    done = await _callback(client, code)
    assert done.status_code == 303, done.text
    me = await client.get("/me")
    assert me.status_code == 200
    body: dict[str, object] = me.json()
    return body


def _unknown_count() -> float:
    return float(UNKNOWN_ADDRESS_CODES.labels("polls")._value.get())


@pytest.mark.parametrize(
    ("level", "oktmo"),
    [
        ("house", "71701000001"),
        ("street", "71644404051"),
        ("settlement", "71644404051"),
        ("city", "71701000001"),
    ],
)
async def test_an_address_at_any_level_signs_in_with_its_municipality(
    esia_app: Litestar, level: str, oktmo: str
) -> None:
    async with AsyncTestClient(esia_app) as client:
        me = await _sign_in(client, f"code-{level}")
    assert (me["oktmo"], me["region"]) == (oktmo, "72")


async def test_the_development_table_still_answers_beside_the_register(esia_app: Litestar) -> None:
    async with AsyncTestClient(esia_app) as client:
        me = await _sign_in(client, "code-fixture-city")
    assert me["oktmo"] == "71701000"


async def test_an_unknown_code_is_refused_counted_and_listed_for_operators(
    esia_app: Litestar, make_esia_app: Callable[[], Litestar]
) -> None:
    before = _unknown_count()
    async with AsyncTestClient(esia_app) as client:
        for code in ("code-unknown", "code-unknown", "code-moscow"):
            refused = await _callback(client, code)
            assert refused.status_code == 403
            problem = refused.json()
            assert problem["type"].endswith("/territory-not-served")
            assert "address register" in problem["detail"]
            assert UNKNOWN_HOUSE not in refused.text
        assert _unknown_count() == before + 3

        # A citizen may not see the list; an auditor may.
        await _sign_in(client, "code-house")
        assert (await client.get("/api/v1/territory/refused-codes")).status_code == 403
        page = await client.get("/territory/refused", headers={"accept": "text/html"})
        assert page.status_code == 403
    # Granted between two apps: the grant must not borrow a running app's pool.
    await grant(esia_app.state.identity.subject(AUDITOR_OID), "auditor")
    async with AsyncTestClient(make_esia_app()) as client:
        await _sign_in(client, "code-auditor")
        listing = (await client.get("/api/v1/territory/refused-codes", params={"days": 7})).json()
        assert [(c["code"], c["refusals"]) for c in listing["codes"]] == [
            (UNKNOWN_HOUSE, 2),
            (MOSCOW_FIAS, 1),
        ]
        assert [(r["region"], r["serving"], r["objects"]) for r in listing["regions"]] == [
            ("72", True, 12)
        ]
        page = await client.get("/territory/refused", params={"lang": "en"})
        assert page.status_code == 200
        assert UNKNOWN_HOUSE in page.text
        assert re.search(r"<td>72</td><td>12</td><td>5</td>", page.text)
        russian = await client.get("/territory/refused", params={"lang": "ru"})
        assert "Отклонённые коды адресов" in russian.text


async def test_the_refused_codes_page_sends_anonymous_visitors_to_sign_in(
    esia_app: Litestar,
) -> None:
    async with AsyncTestClient(esia_app) as client:
        page = await client.get("/territory/refused", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"].startswith("/auth/login")


async def test_municipality_names_are_looked_up_by_code_and_by_name(esia_app: Litestar) -> None:
    async with AsyncTestClient(esia_app) as client:
        by_code = await client.get(
            "/api/v1/territory/municipalities",
            params={"oktmo": ["71644404051", "71701000", "99999999", "x"]},
        )
        by_name = await client.get("/api/v1/territory/municipalities", params={"q": "Тюмен"})
        too_many = await client.get(
            "/api/v1/territory/municipalities", params={"oktmo": ["71701000"] * 201}
        )
    assert by_code.status_code == 200
    assert [
        (m["oktmo"], m["name"], m["parent_oktmo"]) for m in by_code.json()["municipalities"]
    ] == [
        ("71644404051", "рп Боровский", "71644404"),
        ("71701000", "г.о. город Тюмень", None),
    ]
    assert [m["oktmo"] for m in by_name.json()["municipalities"]] == [
        "71644000",
        "71701000",
        "71701000001",
    ]
    assert too_many.status_code == 400
