"""The registry (one source of truth for roles) and the ``vmeste roles`` command."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.roles import roles_app
from shared.db.engine import bind_tables, create_engine
from shared.identity import registry as registry_module
from shared.identity.pseudonym import load_pepper, pseudonym
from shared.identity.registry import (
    RegistryError,
    grant,
    list_memberships,
    revoke,
    roles_for,
    update_organisation,
    upsert_organisation,
)
from shared.identity.tables import TABLES, Organisation
from shared.identity.trail import list_changes
from shared.web.ui.embed import embed_headers
from tests.harness.clock import FakeClock

SUB = "c" * 64


@pytest.fixture
def registry(identity_url: str) -> None:
    bind_tables(TABLES, create_engine(identity_url))


@pytest.mark.usefixtures("registry")
async def test_grant_is_idempotent_and_replaces_permissions() -> None:
    await upsert_organisation("ishim-city", "Администрация города Ишима", ["71705000"])
    await grant(SUB, "official", "ishim-city", ["moderate"])
    await grant(SUB, "official", "ishim-city", ["moderate", "respond"])
    [record] = await list_memberships(SUB)
    assert record.permissions == ("moderate", "respond")
    roles = await roles_for(SUB)
    assert roles.roles == ("citizen", "official")
    assert roles.orgs[0].territory == ("71705000",)
    assert await revoke(SUB, "official", "ishim-city")
    assert not await revoke(SUB, "official", "ishim-city")
    assert (await roles_for(SUB)).roles == ("citizen",)


@pytest.mark.usefixtures("registry")
@pytest.mark.parametrize(
    ("role", "org", "permissions"),
    [
        ("official", None, ["moderate"]),
        ("official", "nowhere", ["moderate"]),
        ("official", "ishim-city", []),
        ("official", "ishim-city", ["launch-missiles"]),
        ("auditor", None, ["moderate"]),
        ("mayor", None, []),
    ],
)
async def test_bad_grants_are_refused(role: str, org: str | None, permissions: list[str]) -> None:
    await upsert_organisation("ishim-city", "Администрация города Ишима", ["71705000"])
    with pytest.raises(RegistryError):
        await grant(SUB, role, org, permissions)


@pytest.mark.usefixtures("registry")
async def test_organisation_territory_must_be_oktmo_codes() -> None:
    with pytest.raises(RegistryError):
        await upsert_organisation("bad", "Bad", ["Тюмень"])


@pytest.mark.usefixtures("registry")
async def test_a_final_newline_is_not_part_of_a_slug_territory_or_sub() -> None:
    with pytest.raises(RegistryError):
        await upsert_organisation("ishim-city\n", "Ишим", ["71705000"])
    with pytest.raises(RegistryError):
        await upsert_organisation("ishim-city", "Ишим", ["71705000\n"])
    await upsert_organisation("ishim-city", "Ишим", ["71705000"])
    with pytest.raises(RegistryError):
        await grant(SUB + "\n", "official", "ishim-city", ["moderate"])


@pytest.mark.usefixtures("registry")
@pytest.mark.parametrize(
    "origin",
    [
        "https://a.ru; script-src *",
        "https://a.ru\n",
        "https://*.a.ru",
        "https://a.ru/widgets",
        "http://a.ru",
        "https://a.ru'",
    ],
)
async def test_embed_origins_other_than_scheme_host_and_port_are_refused(origin: str) -> None:
    with pytest.raises(RegistryError, match="embed origin"):
        await upsert_organisation("ishim-city", "Ишим", ["71705000"], [origin])
    assert not await Organisation.exists().where(Organisation.slug == "ishim-city")


@pytest.mark.usefixtures("registry")
async def test_embed_origins_are_stored_in_their_canonical_form() -> None:
    record = await upsert_organisation(
        "ishim-city", "Ишим", ["71705000"], ["HTTPS://Ishim.RU", "https://ишим.рф"]
    )
    assert record.embed_origins == ("https://ishim.ru", "https://xn--h1aam0c.xn--p1ai")
    headers = await embed_headers("ishim-city")
    assert headers["content-security-policy"].endswith(
        "frame-ancestors https://ishim.ru https://xn--h1aam0c.xn--p1ai"
    )


@pytest.mark.usefixtures("registry")
async def test_an_origin_stored_before_the_check_cannot_inject_a_directive() -> None:
    await Organisation.insert(
        Organisation(
            slug="ishim-city",
            name="Ишим",
            territory=["71705000"],
            embed_origins=["https://ishim.ru", "https://x.ru; script-src 'unsafe-inline' *"],
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    csp = (await embed_headers("ishim-city"))["content-security-policy"]
    assert csp.endswith("; frame-ancestors https://ishim.ru")
    assert "unsafe-inline' *" not in csp
    assert csp.count("script-src") == 1


def _ancestors(headers: dict[str, str]) -> str:
    return headers["content-security-policy"].rpartition("frame-ancestors ")[2]


@pytest.mark.usefixtures("registry")
async def test_widget_pages_read_the_organisation_at_most_once_a_second(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = FakeClock()
    monkeypatch.setattr(registry_module, "_clock", clock)
    await upsert_organisation("ishim-city", "Ишим", ["71705000"], ["https://ishim.ru"])
    assert _ancestors(await embed_headers("ishim-city")) == "https://ishim.ru"

    # Another replica, or the command line, changes the sites: this process's copy stands
    # for up to a second, then the change shows.
    await Organisation.update({Organisation.embed_origins: ["https://tyumen.ru"]}).where(
        Organisation.slug == "ishim-city"
    )
    clock.now += 0.9
    assert _ancestors(await embed_headers("ishim-city")) == "https://ishim.ru"
    clock.now += 0.2
    assert _ancestors(await embed_headers("ishim-city")) == "https://tyumen.ru"

    # A change made in this process shows at once, whichever call made it.
    await update_organisation("ishim-city", "Ишим", ["71705000"], [], actor=SUB)
    assert _ancestors(await embed_headers("ishim-city")) == "'none'"
    await upsert_organisation("ishim-city", "Ишим", ["71705000"], ["https://ishim.ru"])
    assert _ancestors(await embed_headers("ishim-city")) == "https://ishim.ru"


def test_cli_refuses_a_bad_embed_origin_saying_why(
    identity_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VMESTE_IDENTITY_DATABASE_URL", identity_url)
    monkeypatch.setenv("VMESTE_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("VMESTE_DATA_DIR", str(tmp_path))
    refused = CliRunner().invoke(
        roles_app,
        [
            "organisation",
            "ishim-city",
            "--name",
            "Ишим",
            "--territory",
            "71705000",
            "--embed-origin",
            "https://ishim.ru/widgets",
        ],
    )
    assert refused.exit_code != 0
    assert "https://ishim.ru/widgets" in refused.output
    assert "no path" in refused.output


def test_cli_grants_by_oid_and_stores_only_the_pseudonym(
    identity_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VMESTE_IDENTITY_DATABASE_URL", identity_url)
    monkeypatch.setenv("VMESTE_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("VMESTE_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    made = runner.invoke(
        roles_app,
        ["organisation", "ishim-city", "--name", "Ишим", "--territory", "71705000"],
    )
    assert made.exit_code == 0, made.output
    assert "71705000  (not named by the imported register)" in made.output
    granted = runner.invoke(
        roles_app,
        [
            "grant",
            "1000299654",
            "--role",
            "official",
            "--org",
            "ishim-city",
            "--permission",
            "polls:manage",
        ],
    )
    assert granted.exit_code == 0, granted.output
    sub = pseudonym(load_pepper(tmp_path / "keys", create=False, environ={}), "1000299654")
    listed = runner.invoke(roles_app, ["list", "--org", "ishim-city"])
    assert sub in listed.output
    assert "1000299654" not in listed.output + granted.output
    refused = runner.invoke(roles_app, ["grant", sub, "--role", "official"])
    assert refused.exit_code != 0
    revoked = runner.invoke(roles_app, ["revoke", sub, "--role", "official", "--org", "ishim-city"])
    assert revoked.exit_code == 0, revoked.output
    assert sub not in runner.invoke(roles_app, ["list"]).output


def test_cli_changes_are_recorded_in_the_trail_with_cli_as_their_actor(
    identity_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VMESTE_IDENTITY_DATABASE_URL", identity_url)
    monkeypatch.setenv("VMESTE_KEYS_DIR", str(tmp_path / "keys"))
    monkeypatch.setenv("VMESTE_DATA_DIR", str(tmp_path))
    runner = CliRunner()
    org = ["organisation", "ishim-city", "--name", "Ишим", "--territory", "71705000"]
    assert runner.invoke(roles_app, org).exit_code == 0
    # Saving the same organisation again changes nothing, so records nothing.
    assert runner.invoke(roles_app, org).exit_code == 0
    assert runner.invoke(roles_app, [*org[:4], "--territory", "71705000000"]).exit_code == 0
    grant_args = ["grant", SUB, "--role", "official", "--org", "ishim-city"]
    assert runner.invoke(roles_app, [*grant_args, "--permission", "moderate"]).exit_code == 0
    assert runner.invoke(roles_app, ["revoke", SUB, "--role", "official", "--org", "ishim-city"])
    shown = runner.invoke(roles_app, ["trail", "--limit", "3"])
    assert shown.exit_code == 0, shown.output
    lines = [line for line in shown.output.splitlines() if not line.startswith(" ")]
    assert [line.split()[2:4] for line in lines[:3]] == [
        ["cli", "membership.revoke"],
        ["cli", "membership.grant"],
        ["cli", "organisation.update"],
    ]
    assert "older: --before" in shown.output

    bind_tables(TABLES, create_engine(identity_url))
    page = asyncio.run(list_changes())
    assert [(c.actor, c.action) for c in page.changes] == [
        ("cli", "membership.revoke"),
        ("cli", "membership.grant"),
        ("cli", "organisation.update"),
        ("cli", "organisation.create"),
    ]
    revoke_change, grant_change, update, create = page.changes
    assert create.before is None
    assert update.before is not None
    assert update.before["territory"] == ["71705000"]
    assert update.after is not None
    assert update.after["territory"] == ["71705000000"]
    assert grant_change.person == SUB
    assert grant_change.after == {
        "role": "official",
        "organisation": "ishim-city",
        "permissions": ["moderate"],
    }
    assert revoke_change.before == grant_change.after
    assert revoke_change.after is None
