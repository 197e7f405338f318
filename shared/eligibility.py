"""Who may take part in a poll or a comment period: one rule set for both services.

Pure code: the services pass the participant's attributes from the signed session and get
back either nothing (eligible) or the reason, which becomes a 403 the citizen can act on.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Protocol

import msgspec

__all__ = (
    "Eligibility",
    "Ineligible",
    "Participant",
    "age_on",
    "check_eligibility",
    "territory_issues",
)

OktmoPrefix = Annotated[str, msgspec.Meta(pattern=r"^[0-9]{2,11}$")]
_OKTMO = re.compile(r"^[0-9]{8}([0-9]{3})?$")


class Eligibility(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The eligibility rules of one poll or comment period."""

    territory: tuple[OktmoPrefix, ...] = ()
    """OKTMO codes or prefixes; a participant registered under any of them may take part.
    Empty means the whole territory of the organisation that runs it."""
    min_age: Annotated[int, msgspec.Meta(ge=0, le=120)] = 0
    """Minimum age in full years on the opening day."""
    confirmed_only: bool = True
    """Only confirmed (identity-checked) Gosuslugi accounts."""
    roll: tuple[str, ...] | None = None
    """Optional closed roll of pseudonymous subjects; None means open to all who qualify."""


class Participant(Protocol):
    """What eligibility needs to know of a signed-in person (all from the session)."""

    @property
    def sub(self) -> str: ...
    @property
    def oktmo(self) -> str: ...
    @property
    def birth_date(self) -> dt.date: ...
    @property
    def trusted(self) -> bool: ...


class Ineligible(msgspec.Struct, frozen=True):
    """Why someone may not take part: a stable code and a sentence for the person."""

    code: str
    reason: str


def age_on(birth_date: dt.date, day: dt.date) -> int:
    """Full years of age on ``day`` (a person born on 29 February turns a year older on
    1 March in non-leap years, as Russian law counts it)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def territory_issues(
    rules: Eligibility, organisation_territory: tuple[str, ...]
) -> list[dict[str, str]]:
    """One issue (path, reason) per OKTMO prefix of ``rules`` outside the territory of the
    organisation that runs the poll or period: it may narrow its territory, never widen it.
    An organisation without a territory is not limited."""
    return [
        {
            "path": f"eligibility.territory[{index}]",
            "reason": f"{prefix} is outside the organisation's territory "
            f"{', '.join(organisation_territory)}",
        }
        for index, prefix in enumerate(rules.territory)
        if organisation_territory
        and not any(prefix.startswith(code) for code in organisation_territory)
    ]


def check_eligibility(
    rules: Eligibility,
    who: Participant,
    opening_day: dt.date,
    organisation_territory: tuple[str, ...] = (),
) -> Ineligible | None:
    """None if ``who`` may take part, else the first rule they fail, with its reason."""
    if rules.confirmed_only and not who.trusted:
        return Ineligible(
            "account-not-confirmed",
            "Only confirmed Gosuslugi accounts may take part: confirm your account first.",
        )
    territory = rules.territory or organisation_territory
    if territory and not (
        _OKTMO.match(who.oktmo) and any(who.oktmo.startswith(p) for p in territory)
    ):
        return Ineligible(
            "outside-territory",
            "Your registration address is outside the territory this is open to.",
        )
    if rules.min_age and age_on(who.birth_date, opening_day) < rules.min_age:
        return Ineligible(
            "too-young",
            f"Participants must be at least {rules.min_age} years old on the opening day.",
        )
    if rules.roll is not None and who.sub not in rules.roll:
        return Ineligible("not-on-roll", "This is open only to the people on its voter roll.")
    return None
