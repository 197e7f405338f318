"""ESIA settings fail fast naming the missing variable; timestamps use ESIA's format."""

from __future__ import annotations

import datetime as dt

import pytest

from shared.config import MissingSettingError
from shared.identity.esia import EsiaSettings, esia_timestamp


def test_missing_variable_is_named() -> None:
    with pytest.raises(MissingSettingError) as caught:
        EsiaSettings.from_env("https://polls.example/auth/callback", environ={})
    assert caught.value.name == "VMESTE_ESIA_ID_TOKEN_KEY_FILE"


def test_timestamp_format() -> None:
    moment = dt.datetime(2025, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    assert esia_timestamp(moment) == "2025.03.04 05:06:07 +0000"
