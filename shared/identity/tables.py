"""The identity database: the registry of organisations and members, and sign-in sessions.

No table holds an ESIA oid, a name or an address text: people appear only as their
pseudonymous ``sub``, with the few attributes a session must carry across a refresh.
"""

from __future__ import annotations

from piccolo.columns import (
    Array,
    Boolean,
    Date,
    ForeignKey,
    OnDelete,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

__all__ = ("TABLES", "Membership", "Organisation", "RefreshToken")


class Organisation(Table, tablename="identity_organisation"):
    """A municipality's body or agency that runs polls and drafts for its territory."""

    slug = Varchar(length=64, unique=True, help_text="Stable short name used in URLs and sessions.")
    name = Varchar(length=300, help_text="Official name, as shown on pages.")
    territory = Array(
        base_column=Varchar(length=11),
        help_text="OKTMO codes of the municipalities the organisation serves.",
    )
    embed_origins = Array(
        base_column=Varchar(length=300),
        help_text="Origins of official sites allowed to frame the widgets (CSP frame-ancestors).",
    )
    created_at = Timestamptz(help_text="When the organisation was registered.")


class Membership(Table, tablename="identity_membership"):
    """A role someone holds: official of an organisation (with permissions), auditor or admin."""

    key = Varchar(
        length=200,
        unique=True,
        help_text="sub|organisation|role: one row per role and organisation, enforced by SQL.",
    )
    sub = Varchar(length=64, index=True, help_text="Pseudonymous subject of the member.")
    organisation = ForeignKey(
        references=Organisation,
        null=True,
        on_delete=OnDelete.restrict,
        help_text="The organisation; empty for platform-wide auditors and admins.",
    )
    role = Varchar(length=16, help_text="official, auditor or admin.")
    permissions = Array(
        base_column=Varchar(length=64),
        help_text="What an official may do: polls:manage, discussions:manage, moderate, respond.",
    )
    granted_at = Timestamptz(help_text="When the role was granted or last changed.")


class RefreshToken(Table, tablename="identity_refresh_token"):
    """One sign-in session: its refresh secret (hashed) and what a renewed token must carry."""

    session_id = Varchar(length=64, unique=True, help_text="The sid claim of its session tokens.")
    token_hash = Varchar(length=64, help_text="SHA-256 of the current refresh secret, in hex.")
    sub = Varchar(length=64, index=True, help_text="Pseudonymous subject.")
    trusted = Boolean(help_text="Confirmed account at sign-in.")
    birth_date = Date(help_text="Birth date at sign-in (eligibility by age).")
    oktmo = Varchar(length=11, help_text="OKTMO of the registration address at sign-in.")
    region = Varchar(length=8, help_text="Federal subject code of the registration address.")
    created_at = Timestamptz(help_text="Sign-in time.")
    expires_at = Timestamptz(help_text="After this the person must sign in again.")
    revoked_at = Timestamptz(
        null=True, default=None, help_text="Sign-out time; a revoked session is never renewed."
    )


TABLES: tuple[type[Table], ...] = (Organisation, Membership, RefreshToken)
