"""What an identity provider vouches for about a person, and nothing more.

Names and the address text are deliberately absent: the platform needs only what decides
eligibility (confirmed account, age, municipality), and what it never holds it cannot leak.
"""

from __future__ import annotations

import datetime as dt

import msgspec

__all__ = ("RegistrationAddress", "VerifiedPerson")


class RegistrationAddress(msgspec.Struct, frozen=True, kw_only=True):
    """The municipality of a person's registration address (ESIA address type ``PRG``)."""

    region: str
    """Code of the federal subject (72 = Tyumen region), as in FIAS and KLADR."""
    oktmo: str
    """OKTMO code of the municipality (8 digits) or settlement (11 digits)."""
    fias_code: str | None = None
    """FIAS GUID the provider gave; None only for development fixtures without one on file."""


class VerifiedPerson(msgspec.Struct, frozen=True, kw_only=True):
    """A person as the identity provider asserts them after a completed sign-in."""

    oid: str
    """ESIA subject id. Only ever turned into a pseudonym; never stored or logged."""
    trusted: bool
    """Confirmed account (ESIA ``is_tru``): identity checked in person or by a bank."""
    birth_date: dt.date
    address: RegistrationAddress
