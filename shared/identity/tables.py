"""The identity database: the registry of organisations and members, sign-in sessions, and
the territory reference (address register codes to municipalities).

No table holds an ESIA oid, a name or an address text: people appear only as their
pseudonymous ``sub``, with the few attributes a session must carry across a refresh. The
territory tables hold the public address register, and of sign-ins only the register codes
that could not be resolved, counted per day.
"""

from __future__ import annotations

from piccolo.columns import (
    Array,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    OnDelete,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.table import Table

__all__ = (
    "TABLES",
    "Invitation",
    "Membership",
    "Municipality",
    "Organisation",
    "RefreshToken",
    "RefusedAddressCode",
    "RegistryChange",
    "RotatedRefreshSecret",
    "TerritoryImport",
    "TerritoryObject",
)


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


class Invitation(Table, tablename="identity_invitation"):
    """A link an admin sends to grant a role to whoever opens it signed in: single use,
    expiring, bound to the grant it makes. Only the hash of its secret is kept."""

    token_hash = Varchar(
        length=64, unique=True, help_text="SHA-256 of the link's secret, in hex (never the secret)."
    )
    organisation = ForeignKey(
        references=Organisation,
        null=True,
        on_delete=OnDelete.restrict,
        help_text="The organisation of the grant; empty for platform-wide roles.",
    )
    role = Varchar(length=16, help_text="official, auditor or admin.")
    permissions = Array(
        base_column=Varchar(length=64), help_text="The official's permissions the link grants."
    )
    created_by = Varchar(length=64, help_text="Pseudonymous subject of the admin, or cli.")
    created_at = Timestamptz(help_text="When the link was made.")
    expires_at = Timestamptz(help_text="After this the link grants nothing.")
    accepted_by = Varchar(
        length=64, null=True, default=None, help_text="Pseudonymous subject who used the link."
    )
    accepted_at = Timestamptz(null=True, default=None, help_text="When the link was used.")
    withdrawn_at = Timestamptz(
        null=True, default=None, help_text="When an admin withdrew the unused link."
    )


class RegistryChange(Table, tablename="identity_registry_change"):
    """The audit trail of the registry: every change of an organisation, a membership or an
    invitation, by whom (an admin's pseudonymous subject, or cli), with the state before and
    after. Rows are only ever added."""

    at = Timestamptz(index=True, help_text="When the change was made.")
    actor = Varchar(length=64, help_text="Pseudonymous subject of the admin, cli or seed.")
    action = Varchar(length=40, help_text="What was done, e.g. membership.grant.")
    organisation = Varchar(
        length=64, null=True, default=None, help_text="Slug of the organisation concerned."
    )
    person = Varchar(
        length=64, null=True, default=None, help_text="Pseudonymous subject concerned."
    )
    before = Text(null=True, default=None, help_text="The state before, as JSON; empty if new.")
    after = Text(null=True, default=None, help_text="The state after, as JSON; empty if gone.")


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


class RotatedRefreshSecret(Table, tablename="identity_rotated_refresh"):
    """A refresh secret already exchanged for a new one. Presented again, it shows that a copy
    of the cookie is in someone else's hands, and the whole session is ended (RFC 9700
    §4.14.2). Kept while its session could be renewed; a hash, never the secret."""

    token_hash = Varchar(length=64, unique=True, help_text="SHA-256 of the rotated secret.")
    session_id = Varchar(length=64, index=True, help_text="The session it belonged to.")
    expires_at = Timestamptz(help_text="The session's refresh expiry: useless after it.")


class TerritoryImport(Table, tablename="identity_territory_import"):
    """The register data of one region that serves: which import generation is current.

    An import writes its rows under a new generation and then, in one short transaction,
    points the region here at it; rows of any other generation are invisible to lookups and
    are deleted afterwards. So the old data serves until the new is complete.
    """

    region = Varchar(length=3, unique=True, help_text="Federal subject code (72 = Tyumen region).")
    generation = Integer(
        null=True, default=None, help_text="The generation that serves; none before the first."
    )
    pending = Integer(
        null=True,
        default=None,
        help_text="The generation an import is writing now (or left behind when it crashed).",
    )
    imported_at = Timestamptz(help_text="When the serving generation was swapped in.")
    source = Varchar(length=300, help_text="File or folder it was read from (for operators).")
    object_count = Integer(help_text="Address register objects with a municipality, imported.")
    municipality_count = Integer(help_text="Municipalities (OKTMO codes) named by the import.")


class TerritoryObject(Table, tablename="identity_territory"):
    """An address register (ГАР) object — region, city, settlement, street, house, stead,
    apartment — by its FIAS GUID, with the OKTMO of the municipality it belongs to."""

    fias = Varchar(length=36, index=True, help_text="OBJECTGUID, lower case.")
    oktmo = Varchar(length=11, help_text="OKTMO from the municipal hierarchy (own or ancestor's).")
    level = SmallInt(help_text="ГАР level: 1 region … 5 city, 6 settlement, 8 street, 10 house.")
    region = Varchar(length=3, help_text="Federal subject code.")
    generation = Integer(
        index=True, help_text="Import generation; only the region's current one serves."
    )


class Municipality(Table, tablename="identity_municipality"):
    """A municipality (or settlement) named by the register: the object that first carries an
    OKTMO code on the way down the municipal hierarchy gives it its name."""

    oktmo = Varchar(length=11, index=True, help_text="OKTMO code (8 or 11 digits).")
    name = Varchar(length=400, help_text="Type and name as the register writes them.")
    parent_oktmo = Varchar(
        length=11, null=True, default=None, help_text="OKTMO of the municipality above it."
    )
    level = SmallInt(help_text="ГАР level of the object that names it (3 district … 6 settlement).")
    region = Varchar(length=3, help_text="Federal subject code.")
    generation = Integer(help_text="Import generation; only the region's current one serves.")


class RefusedAddressCode(Table, tablename="identity_refused_address_code"):
    """A registration address code that sign-in could not resolve, counted per day: tells the
    operator the register is stale. Nothing about the person is kept."""

    key = Varchar(length=80, unique=True, help_text="day|code: one row per code and day.")
    code = Varchar(length=64, help_text="The FIAS code ESIA gave, lower case.")
    day = Date(help_text="The UTC day of the refusals.")
    refusals = Integer(help_text="How many sign-ins were refused with it that day.")


TABLES: tuple[type[Table], ...] = (
    Organisation,
    Membership,
    Invitation,
    RegistryChange,
    RefreshToken,
    RotatedRefreshSecret,
    TerritoryImport,
    TerritoryObject,
    Municipality,
    RefusedAddressCode,
)
