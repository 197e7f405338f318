"""Eligibility rules: territory, age on the opening day, confirmed account, closed roll."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from shared.eligibility import Eligibility, age_on, check_eligibility

OPENING = dt.date(2026, 6, 1)


@dataclass(frozen=True)
class Person:
    sub: str = "s1"
    oktmo: str = "71701000"
    birth_date: dt.date = dt.date(1990, 1, 1)
    trusted: bool = True


def test_eligible_person_gets_no_reason() -> None:
    assert check_eligibility(Eligibility(territory=("71701",)), Person(), OPENING) is None


def test_unconfirmed_account_is_refused_when_confirmation_required() -> None:
    refusal = check_eligibility(Eligibility(), Person(trusted=False), OPENING)
    assert refusal is not None
    assert refusal.code == "account-not-confirmed"
    assert (
        check_eligibility(Eligibility(confirmed_only=False), Person(trusted=False), OPENING) is None
    )


@pytest.mark.parametrize(
    ("territory", "oktmo", "eligible"),
    [
        (("71701000",), "71701000", True),
        (("717",), "71705000", True),
        (("71701",), "71705000", False),
        (("71701000", "71710000"), "71710000", True),
        (("71701",), "", False),
    ],
)
def test_territory_matches_codes_and_prefixes(
    territory: tuple[str, ...], oktmo: str, eligible: bool
) -> None:
    refusal = check_eligibility(Eligibility(territory=territory), Person(oktmo=oktmo), OPENING)
    assert (refusal is None) is eligible
    if refusal is not None:
        assert refusal.code == "outside-territory"


def test_empty_territory_falls_back_to_the_organisations() -> None:
    refusal = check_eligibility(Eligibility(), Person(oktmo="45000000"), OPENING, ("71",))
    assert refusal is not None
    assert refusal.code == "outside-territory"


def test_age_is_counted_on_the_opening_day() -> None:
    rules = Eligibility(min_age=16)
    turns_16_on_opening = Person(birth_date=dt.date(2010, 6, 1))
    turns_16_next_day = Person(birth_date=dt.date(2010, 6, 2))
    assert check_eligibility(rules, turns_16_on_opening, OPENING) is None
    refusal = check_eligibility(rules, turns_16_next_day, OPENING)
    assert refusal is not None
    assert refusal.code == "too-young"
    assert "16" in refusal.reason


def test_leap_day_birthday_counts_from_first_of_march() -> None:
    born = dt.date(2008, 2, 29)
    assert age_on(born, dt.date(2026, 2, 28)) == 17
    assert age_on(born, dt.date(2026, 3, 1)) == 18


def test_closed_roll_admits_only_listed_subjects() -> None:
    rules = Eligibility(roll=("s1", "s2"))
    assert check_eligibility(rules, Person(sub="s2"), OPENING) is None
    refusal = check_eligibility(rules, Person(sub="s9"), OPENING)
    assert refusal is not None
    assert refusal.code == "not-on-roll"
