"""The development fixture people cover what demos and tests need."""

from __future__ import annotations

import datetime as dt

from shared.eligibility import age_on
from shared.identity.claims import Permission, Role
from shared.identity.fixtures import DEV_ORGANISATIONS, fixture_people

PEOPLE = fixture_people()


def test_confirmed_and_unconfirmed_accounts() -> None:
    assert {p.person.trusted for p in PEOPLE} == {True, False}


def test_ages_span_15_to_90() -> None:
    today = dt.date.today()
    ages = [age_on(p.person.birth_date, today) for p in PEOPLE]
    assert min(ages) == 15
    assert max(ages) == 90


def test_someone_turns_18_today() -> None:
    today = dt.date(2025, 6, 15)
    person = next(p for p in fixture_people(today) if p.key == "birthday-ishim")
    assert age_on(person.person.birth_date, today) == 18
    assert age_on(person.person.birth_date, today - dt.timedelta(days=1)) == 17


def test_three_municipalities_of_one_region() -> None:
    assert {p.person.address.region for p in PEOPLE} == {"72"}
    assert {p.person.address.oktmo for p in PEOPLE} >= {"71701000", "71710000", "71705000"}


def test_officials_of_two_organisations_an_auditor_and_an_admin() -> None:
    memberships = [m for p in PEOPLE for m in p.memberships]
    official_orgs = {m.organisation for m in memberships if m.role is Role.OFFICIAL}
    assert official_orgs == {o.slug for o in DEV_ORGANISATIONS}
    assert len(official_orgs) == 2
    assert any(m.role is Role.AUDITOR for m in memberships)
    assert any(m.role is Role.ADMIN for m in memberships)
    granted = {perm for m in memberships for perm in m.permissions}
    assert granted == set(Permission)


def test_fixture_oids_cannot_collide_with_real_esia_oids() -> None:
    assert all(p.person.oid.startswith("dev-") for p in PEOPLE)
    assert len({p.key for p in PEOPLE}) == len(PEOPLE)
