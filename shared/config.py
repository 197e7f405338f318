"""Settings read once from the environment, one small dataclass per concern.

A missing or malformed variable stops the process at start with the variable's name, so an
operator never meets a half-configured service at the first request.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TypeAlias

__all__ = (
    "COMPONENTS",
    "SERVICES",
    "SIGN_IN_SERVICE",
    "WITNESS",
    "DatabaseSettings",
    "MissingSettingError",
    "Network",
    "RedisSettings",
    "SecuritySettings",
    "Settings",
    "WitnessEndpoint",
    "WitnessingSettings",
    "database_url",
    "get_settings",
    "load_settings",
    "positive_setting",
)

SERVICES = ("polls", "discussions", "identity")
"""Every component of the platform that owns a database."""

SIGN_IN_SERVICE = "polls"
"""The component that serves /auth (sign-in with ESIA, callback, refresh): in production the
only one holding the pepper and the private session keys; the others verify sessions only."""

WITNESS = "witness"
"""The standalone witness (``vmeste witness``): its own database, not part of the platform's."""

COMPONENTS = (*SERVICES, WITNESS)
"""Every database ``vmeste migrate`` knows."""

Network: TypeAlias = ipaddress.IPv4Network | ipaddress.IPv6Network


class MissingSettingError(RuntimeError):
    """A required environment variable is absent or unusable."""

    def __init__(self, name: str, why: str) -> None:
        super().__init__(f"environment variable {name}: {why}")
        self.name = name


def positive_setting(
    environ: Mapping[str, str], name: str, default: float, *, what: str = "a number"
) -> float:
    """The positive number ``environ[name]``, ``default`` when unset or empty; ``what`` says
    what it must be when it is not a number."""
    raw = environ.get(name, "")
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise MissingSettingError(name, f"must be {what}, got {raw!r}") from None
    if value <= 0:
        raise MissingSettingError(name, "must be positive")
    return value


def _read(name: str, default: str | None = None, environ: Mapping[str, str] = os.environ) -> str:
    value = environ.get(name, default)
    if value is None or value == "":
        raise MissingSettingError(name, "is required but not set")
    return value


def _read_int(name: str, default: int, environ: Mapping[str, str]) -> int:
    raw = environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise MissingSettingError(name, f"must be an integer, got {raw!r}") from None


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    urls: dict[str, str]
    """Database URL per service (polls, discussions, identity) that this process was given:
    sqlite:///path or postgresql://. In production a pod is given only its own service's and
    the identity database's, so it holds no credentials for another service's data."""

    def url_for(self, service: str) -> str:
        """The URL of ``service``'s database; a process asking for one it was not given stops
        at start, naming the variable."""
        try:
            return self.urls[service]
        except KeyError:
            raise MissingSettingError(
                f"VMESTE_{service.upper()}_DATABASE_URL", "is required but not set"
            ) from None


@dataclass(frozen=True, slots=True)
class RedisSettings:
    url: str
    """Redis URL; Redis is only the fast path, the database stays the authority."""


@dataclass(frozen=True, slots=True)
class SecuritySettings:
    keys_dir: Path
    """Folder with the Ed25519 signing keys and the pseudonym pepper."""
    secure_cookies: bool
    """Set the Secure flag on cookies; off only in local development over plain HTTP."""
    session_minutes: int
    """Lifetime of a session token before it must be refreshed."""
    refresh_hours: int
    """Lifetime of the refresh cookie that renews the session token."""


@dataclass(frozen=True, slots=True)
class WitnessEndpoint:
    url: str
    """Submission prefix of the witness: ``<url>/add-checkpoint`` is where checkpoints go."""
    key: str
    """The witness's verifier key, ``name+hexid+base64(0x04 ‖ key)`` (C2SP cosignature/v1)."""


@dataclass(frozen=True, slots=True)
class WitnessingSettings:
    witnesses: tuple[WitnessEndpoint, ...] = ()
    """Independent witnesses every new checkpoint is submitted to (none: not witnessed)."""
    quorum: int = 0
    """Cosignatures a final checkpoint needs before a tally certificate or report is issued."""


@dataclass(frozen=True, slots=True)
class Settings:
    env: str
    """'dev' (development identity provider allowed) or 'prod'."""
    data_dir: Path
    """Local folder for SQLite files, keys and logs in development."""
    identity_provider: str
    """'dev' (fixture people) or 'esia'."""
    public_urls: dict[str, str]
    """Base URL of each service as a browser reaches it (for redirects and links)."""
    max_body_bytes: int
    """Largest accepted request body; larger ones get 413."""
    rate_limits: bool
    """Enforce abuse limits (on unless VMESTE_RATE_LIMITS=off, which test suites set)."""
    database: DatabaseSettings
    redis: RedisSettings
    security: SecuritySettings
    witnessing: WitnessingSettings = WitnessingSettings()
    trusted_proxies: tuple[Network, ...] = ()
    """Networks of the reverse proxies in front of the services (VMESTE_TRUSTED_PROXIES): only
    a peer in one of them is believed about X-Forwarded-For (see shared.web.ratelimit)."""

    @property
    def is_dev(self) -> bool:
        return self.env == "dev"


def _read_switch(name: str, environ: Mapping[str, str]) -> bool:
    # A mapping given by a caller (tests) may leave it out: then the process environment
    # decides, so one variable switches limits off for a whole test run.
    raw = environ.get(name, os.environ.get(name, "on")).lower()
    if raw not in ("on", "off"):
        raise MissingSettingError(name, f"must be 'on' or 'off', got {raw!r}")
    return raw == "on"


def _networks(name: str, environ: Mapping[str, str]) -> tuple[Network, ...]:
    """CIDRs separated by commas or spaces; a bare address is a network of one."""
    raw = environ.get(name, "")
    try:
        return tuple(
            ipaddress.ip_network(part, strict=False) for part in raw.replace(",", " ").split()
        )
    except ValueError as exc:
        raise MissingSettingError(name, f"must be CIDRs separated by commas: {exc}") from None


def _env(environ: Mapping[str, str]) -> str:
    env = _read("VMESTE_ENV", "dev", environ)
    if env not in ("dev", "prod"):
        raise MissingSettingError("VMESTE_ENV", f"must be 'dev' or 'prod', got {env!r}")
    return env


def _data_dir(environ: Mapping[str, str]) -> Path:
    return Path(_read("VMESTE_DATA_DIR", ".vmeste-data", environ)).resolve()


def database_url(service: str, environ: Mapping[str, str] = os.environ) -> str:
    """One service's database URL; in development a SQLite file under the data folder.

    Separate from :func:`get_settings` so that migrations need nothing but the database.
    A witness, run by anyone on a small machine, defaults to its SQLite file in every
    environment.
    """
    sqlite = _env(environ) == "dev" or service == WITNESS
    default = f"sqlite:///{_data_dir(environ) / (service + '.sqlite')}" if sqlite else None
    return _read(f"VMESTE_{service.upper()}_DATABASE_URL", default, environ)


def _witnessing(environ: Mapping[str, str]) -> WitnessingSettings:
    from shared.log.cosignature import WitnessKey  # the settings module stays light
    from shared.log.note import KeyFormatError

    raw = environ.get("VMESTE_WITNESSES", "") or "[]"
    try:
        listed = json.loads(raw)
        witnesses = tuple(WitnessEndpoint(str(w["url"]), str(w["key"])) for w in listed)
        for witness in witnesses:
            WitnessKey.parse(witness.key)
    except (ValueError, TypeError, KeyError, KeyFormatError) as exc:
        raise MissingSettingError(
            "VMESTE_WITNESSES", f'must be a JSON list of {{"url": …, "key": …}}: {exc}'
        ) from None
    quorum = _read_int("VMESTE_WITNESS_QUORUM", len(witnesses), environ)
    if not 0 <= quorum <= len(witnesses):
        raise MissingSettingError(
            "VMESTE_WITNESS_QUORUM", f"must be between 0 and {len(witnesses)}, got {quorum}"
        )
    return WitnessingSettings(witnesses=witnesses, quorum=quorum)


def load_settings(environ: Mapping[str, str]) -> Settings:
    """Settings from ``environ``; tests pass their own mapping, services use get_settings."""
    env = _env(environ)
    data_dir = _data_dir(environ)
    # Each service asks for its own database and the identity database when it starts
    # (DatabaseSettings.url_for); none requires the URL of another's.
    urls: dict[str, str] = {}
    for service in SERVICES:
        try:
            urls[service] = database_url(service, environ)
        except MissingSettingError:
            continue
    provider = _read("VMESTE_IDENTITY_PROVIDER", "dev" if env == "dev" else None, environ)
    if provider not in ("dev", "esia"):
        raise MissingSettingError("VMESTE_IDENTITY_PROVIDER", f"must be dev or esia: {provider!r}")
    if provider == "dev" and env != "dev":
        raise MissingSettingError(
            "VMESTE_IDENTITY_PROVIDER", "the development provider is refused when VMESTE_ENV=prod"
        )
    public_urls = {
        "polls": _read("VMESTE_POLLS_PUBLIC_URL", "http://localhost:8001", environ),
        "discussions": _read("VMESTE_DISCUSSIONS_PUBLIC_URL", "http://localhost:8002", environ),
    }
    return Settings(
        env=env,
        data_dir=data_dir,
        identity_provider=provider,
        public_urls=public_urls,
        max_body_bytes=_read_int("VMESTE_MAX_BODY_BYTES", 1_000_000, environ),
        rate_limits=_read_switch("VMESTE_RATE_LIMITS", environ),
        database=DatabaseSettings(urls=urls),
        redis=RedisSettings(url=_read("VMESTE_REDIS_URL", None, environ)),
        security=SecuritySettings(
            keys_dir=Path(_read("VMESTE_KEYS_DIR", str(data_dir / "keys"), environ)).resolve(),
            secure_cookies=env != "dev",
            session_minutes=_read_int("VMESTE_SESSION_MINUTES", 15, environ),
            refresh_hours=_read_int("VMESTE_REFRESH_HOURS", 12, environ),
        ),
        witnessing=_witnessing(environ),
        trusted_proxies=_networks("VMESTE_TRUSTED_PROXIES", environ),
    )


@cache
def get_settings() -> Settings:
    """The process's settings, read on first use and never again."""
    return load_settings(os.environ)
