"""The development provider behaves like an OAuth provider: start, page, complete."""

from __future__ import annotations

import pytest

from shared.identity.dev_provider import DevIdentityProvider
from shared.identity.provider import IdentityRefusedError


async def test_start_sends_the_browser_to_the_page_with_the_state() -> None:
    assert await DevIdentityProvider().start("s1") == "/auth/dev?state=s1"


async def test_complete_returns_the_chosen_person() -> None:
    person = await DevIdentityProvider().complete("citizen-tyumen", "s1")
    assert person.oid == "dev-citizen-tyumen"
    assert person.address.oktmo == "71701000"


async def test_unknown_code_is_refused() -> None:
    with pytest.raises(IdentityRefusedError):
        await DevIdentityProvider().complete("nobody", "s1")


def test_page_lists_every_person_and_escapes_the_state() -> None:
    page = DevIdentityProvider().page('"><script>alert(1)</script>')
    assert "<script>alert" not in page
    assert 'value="citizen-tyumen"' in page
    assert 'value="official-tobolsk"' in page
    assert '<html lang="ru">' in page
