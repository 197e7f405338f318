"""Fixture people and organisations of the development identity provider.

Invented people in three real municipalities of the Tyumen region (OKTMO codes from
ОК 033-2013), covering what tests and demos need: confirmed and unconfirmed accounts, ages
from 15 to 90 (plus someone turning 18 today), officials of two organisations, an auditor
and an admin. Their ``oid`` values start with ``dev-`` so they can never collide with a real
ESIA subject id. Ages are kept constant by computing birth dates from today's date.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from shared.identity.claims import Permission, Role
from shared.identity.person import RegistrationAddress, VerifiedPerson

__all__ = (
    "DEV_ORGANISATIONS",
    "MUNICIPALITIES",
    "DevOrganisation",
    "FixtureMembership",
    "FixturePerson",
    "Municipality",
    "fixture_people",
)


@dataclass(frozen=True, slots=True)
class Municipality:
    name: str
    oktmo: str
    fias_code: str | None
    """FIAS GUID, when verified; see fias_oktmo.json."""


MUNICIPALITIES: dict[str, Municipality] = {
    "tyumen": Municipality("г. Тюмень", "71701000", "9ae64229-9f7b-4149-b27a-d1f6ec74b5ce"),
    "tobolsk": Municipality("г. Тобольск", "71710000", "6d7c3e9e-8d6d-490a-a650-8257dbf5ec36"),
    "ishim": Municipality("г. Ишим", "71705000", None),
}
_REGION = "72"


@dataclass(frozen=True, slots=True)
class DevOrganisation:
    slug: str
    name: str
    territory: tuple[str, ...]
    embed_origins: tuple[str, ...]


DEV_ORGANISATIONS: tuple[DevOrganisation, ...] = (
    DevOrganisation(
        "tyumen-city", "Администрация города Тюмени", ("71701000",), ("https://www.tyumen-city.ru",)
    ),
    DevOrganisation(
        "tobolsk-city", "Администрация города Тобольска", ("71710000",), ("https://admtobolsk.ru",)
    ),
)

_ALL = (
    Permission.POLLS_MANAGE,
    Permission.DISCUSSIONS_MANAGE,
    Permission.MODERATE,
    Permission.RESPOND,
)


@dataclass(frozen=True, slots=True)
class FixtureMembership:
    role: Role
    organisation: str | None = None
    permissions: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FixturePerson:
    key: str
    """The authorization code the development page sends to the callback."""
    name: str
    """Shown on the development page only; never leaves it."""
    note: str
    person: VerifiedPerson
    memberships: tuple[FixtureMembership, ...] = ()

    @property
    def age(self) -> int:
        today = dt.date.today()
        born = self.person.birth_date
        return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _years_ago(today: dt.date, years: int, days_earlier: int) -> dt.date:
    try:
        anniversary = today.replace(year=today.year - years)
    except ValueError:  # 29 February in a non-leap year
        anniversary = today.replace(year=today.year - years, day=28)
    return anniversary - dt.timedelta(days=days_earlier)


def fixture_people(today: dt.date | None = None) -> tuple[FixturePerson, ...]:
    day = today or dt.date.today()

    def person(
        key: str,
        name: str,
        note: str,
        *,
        trusted: bool,
        age: int,
        town: str,
        days_earlier: int = 40,
        memberships: tuple[FixtureMembership, ...] = (),
    ) -> FixturePerson:
        place = MUNICIPALITIES[town]
        return FixturePerson(
            key=key,
            name=name,
            note=note,
            person=VerifiedPerson(
                oid=f"dev-{key}",
                trusted=trusted,
                birth_date=_years_ago(day, age, days_earlier),
                address=RegistrationAddress(
                    region=_REGION, oktmo=place.oktmo, fias_code=place.fias_code
                ),
            ),
            memberships=memberships,
        )

    def staff(
        key: str, name: str, note: str, age: int, town: str, membership: FixtureMembership
    ) -> FixturePerson:
        """A trusted account with one membership."""
        return person(key, name, note, trusted=True, age=age, town=town, memberships=(membership,))

    official = Role.OFFICIAL
    return (
        person(
            "citizen-tyumen",
            "Анна Смирнова",
            "житель (citizen)",
            trusted=True,
            age=34,
            town="tyumen",
        ),
        person(
            "unconfirmed-tyumen",
            "Иван Петров",
            "неподтверждённая учётная запись (unconfirmed account)",
            trusted=False,
            age=27,
            town="tyumen",
        ),
        person(
            "teen-tobolsk",
            "Мария Кузнецова",
            "подросток (teenager)",
            trusted=True,
            age=15,
            town="tobolsk",
        ),
        person(
            "unconfirmed-tobolsk",
            "Ольга Белова",
            "неподтверждённая учётная запись (unconfirmed account)",
            trusted=False,
            age=52,
            town="tobolsk",
        ),
        person(
            "birthday-ishim",
            "Дарья Орлова",
            "сегодня исполняется 18 (turns 18 today)",
            trusted=True,
            age=18,
            town="ishim",
            days_earlier=0,
        ),
        person(
            "elder-ishim", "Пётр Соколов", "житель (citizen)", trusted=True, age=90, town="ishim"
        ),
        staff(
            "official-tyumen",
            "Елена Волкова",
            "должностное лицо (official)",
            45,
            "tyumen",
            FixtureMembership(official, "tyumen-city", _ALL),
        ),
        staff(
            "moderator-tyumen",
            "Наталья Лебедева",
            "модератор (moderator)",
            38,
            "tyumen",
            FixtureMembership(official, "tyumen-city", (Permission.MODERATE, Permission.RESPOND)),
        ),
        staff(
            "official-tobolsk",
            "Сергей Морозов",
            "должностное лицо (official)",
            41,
            "tobolsk",
            FixtureMembership(official, "tobolsk-city", _ALL),
        ),
        staff(
            "auditor",
            "Алексей Новиков",
            "аудитор (auditor)",
            60,
            "ishim",
            FixtureMembership(Role.AUDITOR),
        ),
        staff(
            "admin",
            "Татьяна Козлова",
            "администратор платформы (admin)",
            50,
            "tyumen",
            FixtureMembership(Role.ADMIN),
        ),
    )
