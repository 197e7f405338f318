"""Rate-limit counters are named by keyed hashes that change every UTC day."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from shared.identity.pseudonym import derived_secret, pseudonym
from shared.web.ratelimit import RateLimitKeys

SECRET = bytes(range(32))
SUB = "5f2b7c0e9d1a4b3c8e6f0a1b2c3d4e5f5f2b7c0e9d1a4b3c8e6f0a1b2c3d4e5f"
ADDRESS = "203.0.113.7"
_NAME = re.compile(r"^rl:(cast|sign-in):(s|a):[0-9a-f]{32}$")


def _at(day: int, hour: int = 12) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, tzinfo=dt.UTC)


def _keys(now: dt.datetime, secret: bytes = SECRET) -> RateLimitKeys:
    return RateLimitKeys(secret, clock=lambda: now)


def test_a_name_holds_neither_the_subject_nor_the_address() -> None:
    keys = _keys(_at(27))
    for kind, value in (("s", SUB), ("a", ADDRESS)):
        name = keys.key("cast", kind, value)
        assert _NAME.match(name), name
        assert value not in name
        assert value[:8] not in name


def test_a_name_is_stable_within_a_utc_day() -> None:
    morning, night = _keys(_at(27, 0)), _keys(_at(27, 23))
    assert morning.key("cast", "s", SUB) == night.key("cast", "s", SUB)
    # The UTC day counts, not the local one: 02:00 in Moscow on the 28th is still the 27th.
    moscow = dt.timezone(dt.timedelta(hours=3))
    local = _keys(dt.datetime(2026, 11, 28, 2, 0, tzinfo=moscow))
    assert local.key("cast", "s", SUB) == morning.key("cast", "s", SUB)


def test_names_of_two_days_are_unrelated() -> None:
    today, tomorrow = _keys(_at(27)), _keys(_at(28))
    assert today.key("cast", "s", SUB) != tomorrow.key("cast", "s", SUB)
    assert today.key("cast", "a", ADDRESS) != tomorrow.key("cast", "a", ADDRESS)
    assert today.day_key(dt.date(2026, 11, 27)) != today.day_key(dt.date(2026, 11, 28))


def test_one_clock_moving_over_midnight_changes_the_name() -> None:
    now = [_at(27, 23)]
    keys = RateLimitKeys(SECRET, clock=lambda: now[0])
    before = keys.key("cast", "a", ADDRESS)
    now[0] = _at(28, 0)
    assert keys.key("cast", "a", ADDRESS) != before


def test_rule_and_kind_separate_the_names_of_one_value() -> None:
    keys = _keys(_at(27))
    names = {
        keys.key("cast", "s", SUB).rsplit(":", 1)[1],
        keys.key("sign-in", "s", SUB).rsplit(":", 1)[1],
        keys.key("cast", "a", SUB).rsplit(":", 1)[1],
    }
    assert len(names) == 3


def test_without_the_secret_the_name_cannot_be_recomputed() -> None:
    other = bytes(32)
    assert _keys(_at(27)).key("cast", "s", SUB) != _keys(_at(27), other).key("cast", "s", SUB)


def test_a_short_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 32 bytes"):
        RateLimitKeys(b"short")


def test_the_services_secret_derives_from_the_pepper_and_is_no_pseudonym() -> None:
    pepper = b"p" * 32
    secret = derived_secret(pepper, "vmeste/ratelimit/secret/v1")
    assert len(secret) == 32
    assert secret != pepper
    assert secret.hex() != pseudonym(pepper, "vmeste/ratelimit/secret/v1")
    assert secret != derived_secret(pepper, "vmeste/other/v1")
