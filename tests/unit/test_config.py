"""Settings fail fast, naming the variable that is missing or wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import MissingSettingError, load_settings


def test_missing_redis_url_names_the_variable() -> None:
    with pytest.raises(MissingSettingError, match="VMESTE_REDIS_URL"):
        load_settings({})


def test_malformed_integer_names_the_variable() -> None:
    with pytest.raises(MissingSettingError, match="VMESTE_MAX_BODY_BYTES"):
        load_settings({"VMESTE_REDIS_URL": "redis://x", "VMESTE_MAX_BODY_BYTES": "lots"})


def test_production_requires_the_database_urls_a_service_asks_for() -> None:
    settings = load_settings(
        {
            "VMESTE_ENV": "prod",
            "VMESTE_IDENTITY_PROVIDER": "esia",
            "VMESTE_REDIS_URL": "redis://x",
            "VMESTE_DISCUSSIONS_DATABASE_URL": "postgresql://discussions@db/d",
            "VMESTE_IDENTITY_DATABASE_URL": "postgresql://discussions_identity@db/i",
        }
    )
    # The discussions pod holds no URL of the polls database, and needs none.
    assert settings.database.url_for("discussions") == "postgresql://discussions@db/d"
    assert settings.database.url_for("identity") == "postgresql://discussions_identity@db/i"
    assert "polls" not in settings.database.urls
    with pytest.raises(MissingSettingError, match="VMESTE_POLLS_DATABASE_URL"):
        settings.database.url_for("polls")


def test_production_refuses_the_development_identity_provider() -> None:
    environ = {
        "VMESTE_ENV": "prod",
        "VMESTE_REDIS_URL": "redis://x",
        "VMESTE_IDENTITY_PROVIDER": "dev",
        **{
            f"VMESTE_{c}_DATABASE_URL": "postgresql://db/x"
            for c in ("POLLS", "DISCUSSIONS", "IDENTITY")
        },
    }
    with pytest.raises(MissingSettingError, match="VMESTE_IDENTITY_PROVIDER"):
        load_settings(environ)


def test_development_defaults_put_sqlite_files_in_the_data_folder(tmp_path: Path) -> None:
    settings = load_settings({"VMESTE_REDIS_URL": "redis://x", "VMESTE_DATA_DIR": str(tmp_path)})
    assert settings.database.url_for("polls") == f"sqlite:///{tmp_path}/polls.sqlite"
    assert settings.security.keys_dir == tmp_path / "keys"
    assert settings.security.secure_cookies is False
    assert settings.identity_provider == "dev"


def test_rate_limits_are_on_unless_switched_off() -> None:
    assert load_settings({"VMESTE_REDIS_URL": "x", "VMESTE_RATE_LIMITS": "on"}).rate_limits
    assert not load_settings({"VMESTE_REDIS_URL": "x", "VMESTE_RATE_LIMITS": "off"}).rate_limits
    with pytest.raises(MissingSettingError, match="VMESTE_RATE_LIMITS"):
        load_settings({"VMESTE_REDIS_URL": "x", "VMESTE_RATE_LIMITS": "maybe"})


def test_trusted_proxies_are_cidrs_and_none_by_default() -> None:
    assert load_settings({"VMESTE_REDIS_URL": "redis://x"}).trusted_proxies == ()
    settings = load_settings(
        {
            "VMESTE_REDIS_URL": "redis://x",
            "VMESTE_TRUSTED_PROXIES": "10.0.0.0/8, fd00::/8 192.0.2.1",
        }
    )
    assert [str(n) for n in settings.trusted_proxies] == ["10.0.0.0/8", "fd00::/8", "192.0.2.1/32"]
    with pytest.raises(MissingSettingError, match="VMESTE_TRUSTED_PROXIES"):
        load_settings({"VMESTE_REDIS_URL": "redis://x", "VMESTE_TRUSTED_PROXIES": "10.0.0.0/33"})
