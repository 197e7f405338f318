"""The ESIA provider against a fake ESIA portal and signer running on a local port."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import AsyncIterator, Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from shared.identity.esia import EsiaProvider, EsiaSettings
from shared.identity.provider import IdentityRefusedError, ProviderUnavailableError
from tests.integration.identity.fake_esia import (
    CLIENT_ID,
    MOSCOW_FIAS,
    TOBOLSK_FIAS,
    TYUMEN_FIAS,
    Account,
    FakeEsia,
    fake_signature,
    running_fake_esia,
)

REDIRECT = "https://polls.example/auth/callback"
ACCOUNTS = {
    "code-trusted": Account("1000299654", True, "17.05.1990", TYUMEN_FIAS),
    "code-untrusted": Account("1000299655", False, "01.02.2008", TOBOLSK_FIAS),
    "code-links": Account("1000299656", True, "03.04.1970", TOBOLSK_FIAS, addresses_as_links=True),
    "code-moscow": Account("1000299657", True, "03.04.1970", MOSCOW_FIAS),
    "code-no-address": Account("1000299658", True, "03.04.1970", None),
    "code-foreign-key": Account(
        "1000299659", True, "03.04.1970", TYUMEN_FIAS, id_token_foreign_key=True
    ),
    "code-other-aud": Account(
        "1000299660", True, "03.04.1970", TYUMEN_FIAS, id_token_audience="OTHER"
    ),
    "code-expired": Account(
        "1000299661", True, "03.04.1970", TYUMEN_FIAS, id_token_lifetime_s=-120
    ),
}


@pytest.fixture(scope="module")
def esia() -> Iterator[FakeEsia]:
    with running_fake_esia(ACCOUNTS) as fake:
        yield fake


@pytest.fixture
async def provider(esia: FakeEsia) -> AsyncIterator[EsiaProvider]:
    settings = EsiaSettings(
        base_url=esia.base_url,
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT,
        signer_url=esia.signer_url,
        id_token_key=esia.public_key_pem,
    )
    async with httpx.AsyncClient() as client:
        yield EsiaProvider(settings, client)


async def test_start_redirects_to_v2_ac_with_a_signed_client_secret(
    provider: EsiaProvider, esia: FakeEsia
) -> None:
    url = urlsplit(await provider.start("7d3b1f1e-0000-4000-8000-000000000001"))
    assert f"{url.scheme}://{url.netloc}" == esia.base_url
    assert url.path == "/aas/oauth2/v2/ac"
    q = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert q["client_id"] == CLIENT_ID
    assert q["response_type"] == "code"
    assert q["redirect_uri"] == REDIRECT
    assert q["state"] == "7d3b1f1e-0000-4000-8000-000000000001"
    assert set(q["scope"].split()) == {"openid", "birthdate", "addresses"}
    dt.datetime.strptime(q["timestamp"], "%Y.%m.%d %H:%M:%S %z")
    signed = (
        q["client_id"] + q["scope"] + q["timestamp"] + q["state"] + q["redirect_uri"]
    ).encode()
    assert base64.urlsafe_b64decode(q["client_secret"]) == fake_signature(signed)


async def test_confirmed_account_completes_to_a_verified_person(provider: EsiaProvider) -> None:
    person = await provider.complete("code-trusted", "s")
    assert person.oid == "1000299654"
    assert person.trusted is True
    assert person.birth_date == dt.date(1990, 5, 17)
    assert person.address.oktmo == "71701000"
    assert person.address.fias_code == TYUMEN_FIAS


async def test_unconfirmed_account_is_not_trusted(provider: EsiaProvider) -> None:
    person = await provider.complete("code-untrusted", "s")
    assert person.trusted is False
    assert person.address.oktmo == "71710000"


async def test_address_links_are_followed(provider: EsiaProvider) -> None:
    assert (await provider.complete("code-links", "s")).address.oktmo == "71710000"


@pytest.mark.parametrize(
    ("code", "slug"),
    [
        ("code-moscow", "territory-not-served"),
        ("code-no-address", "no-registration-address"),
        ("code-foreign-key", "identity-token-invalid"),
        ("code-other-aud", "identity-token-invalid"),
        ("code-expired", "identity-token-invalid"),
        ("code-unknown", "sign-in-refused"),
    ],
)
async def test_refusals_name_the_reason(provider: EsiaProvider, code: str, slug: str) -> None:
    with pytest.raises(IdentityRefusedError) as caught:
        await provider.complete(code, "s")
    assert caught.value.slug == slug


async def test_signer_down_is_a_temporary_failure(provider: EsiaProvider, esia: FakeEsia) -> None:
    esia.signer_down = True
    try:
        with pytest.raises(ProviderUnavailableError):
            await provider.start("s")
    finally:
        esia.signer_down = False


async def test_unreachable_esia_is_a_temporary_failure(esia: FakeEsia) -> None:
    settings = EsiaSettings(
        base_url="http://127.0.0.1:1",
        client_id=CLIENT_ID,
        redirect_uri=REDIRECT,
        signer_url=esia.signer_url,
        id_token_key=esia.public_key_pem,
        timeout_s=1.0,
    )
    async with httpx.AsyncClient() as client:
        with pytest.raises(ProviderUnavailableError):
            await EsiaProvider(settings, client).complete("code-trusted", "s")
