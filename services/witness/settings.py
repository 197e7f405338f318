"""The witness's settings, read once from the environment.

A witness is configured with its name, its key (a file in its keys folder, created on first
start) and the logs it follows: each an origin prefix and the log's verifier keys, given as
JSON in ``VMESTE_WITNESS_LOGS`` and/or in the file ``VMESTE_WITNESS_LOGS_FILE``::

    [{"origin_prefix": "vmeste.example/polls/", "keys": ["vmeste-polls+1a2b3c4d+AQ…"]}]

A checkpoint is for a followed log when its origin starts with one of the prefixes; it must
then be signed by one of the keys listed for a prefix it starts with.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec

from services.witness.cosigning.domain import FollowedLog
from shared.config import WITNESS, MissingSettingError, database_url
from shared.log.note import NoteError, Verifier

__all__ = (
    "DEFAULT_NAME",
    "MAX_BODY_BYTES",
    "WitnessSettings",
    "load_witness_settings",
    "parse_followed_logs",
)

DEFAULT_NAME = "vmeste-witness"
"""The key name given to a new witness key when ``VMESTE_WITNESS_NAME`` is not set."""
MAX_BODY_BYTES = 64 * 1024
"""An add-checkpoint body is a size line, at most 63 hashes and a checkpoint with at most 100
signatures: a few kilobytes. Anything far larger is refused with 413."""


@dataclass(frozen=True, slots=True)
class WitnessSettings:
    name: str | None
    """The witness's key name (``VMESTE_WITNESS_NAME``); None: the key file's, or
    :data:`DEFAULT_NAME` for a new key. C2SP suggests a schema-less URL, e.g.
    ``witness.example.org/vmeste``."""
    keys_dir: Path
    """Folder of the witness key file ``witness.key`` (``VMESTE_KEYS_DIR``, default
    ``<data folder>/keys``)."""
    signer_key: str | None
    """The signer key itself (``VMESTE_WITNESS_KEY``, e.g. from a Secret); overrides the file."""
    database_url: str
    """``VMESTE_WITNESS_DATABASE_URL``; default ``<data folder>/witness.sqlite``."""
    logs: tuple[FollowedLog, ...]
    """The logs this witness follows."""
    max_body_bytes: int = MAX_BODY_BYTES


class _LogEntry(msgspec.Struct, forbid_unknown_fields=True):
    origin_prefix: str
    keys: list[str]


def parse_followed_logs(text: str | bytes, source: str) -> tuple[FollowedLog, ...]:
    """The followed logs from their JSON; ``source`` (a variable or file) names the culprit.

    Raises:
        MissingSettingError: naming ``source`` and what is wrong.
    """
    try:
        entries = msgspec.json.decode(text, type=list[_LogEntry])
    except msgspec.DecodeError as exc:
        raise MissingSettingError(
            source,
            f"must be a JSON list of {{'origin_prefix': ..., 'keys': [...]}}: {exc}",
        ) from None
    logs: list[FollowedLog] = []
    for n, entry in enumerate(entries):
        if not entry.origin_prefix or "\n" in entry.origin_prefix:
            raise MissingSettingError(
                source, f"entry {n}: origin_prefix must be one non-empty line"
            )
        if not entry.keys:
            raise MissingSettingError(source, f"entry {n}: lists no log verifier keys")
        try:
            keys = tuple(Verifier.parse(key.strip()) for key in entry.keys)
        except NoteError as exc:
            raise MissingSettingError(source, f"entry {n}: {exc}") from None
        logs.append(FollowedLog(entry.origin_prefix, keys))
    return tuple(logs)


def _data_dir(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("VMESTE_DATA_DIR") or ".vmeste-data").resolve()


def load_witness_settings(environ: Mapping[str, str] = os.environ) -> WitnessSettings:
    """The witness's settings from ``environ``.

    Raises:
        MissingSettingError: a variable is malformed, or no followed log is configured.
    """
    logs: list[FollowedLog] = []
    inline = environ.get("VMESTE_WITNESS_LOGS", "")
    if inline.strip():
        logs.extend(parse_followed_logs(inline, "VMESTE_WITNESS_LOGS"))
    path = environ.get("VMESTE_WITNESS_LOGS_FILE", "")
    if path:
        try:
            text = Path(path).read_bytes()
        except OSError as exc:
            raise MissingSettingError(
                "VMESTE_WITNESS_LOGS_FILE", f"cannot read {path}: {exc.strerror}"
            ) from None
        logs.extend(parse_followed_logs(text, f"VMESTE_WITNESS_LOGS_FILE ({path})"))
    if not logs:
        raise MissingSettingError(
            "VMESTE_WITNESS_LOGS",
            "a witness must follow at least one log: set it (or VMESTE_WITNESS_LOGS_FILE) to "
            '[{"origin_prefix": "<host>/polls/", "keys": ["<log verifier key>"]}]',
        )
    name = environ.get("VMESTE_WITNESS_NAME") or None
    data_dir = _data_dir(environ)
    return WitnessSettings(
        name=name,
        keys_dir=Path(environ.get("VMESTE_KEYS_DIR") or data_dir / "keys").resolve(),
        signer_key=environ.get("VMESTE_WITNESS_KEY") or None,
        database_url=database_url(WITNESS, environ),
        logs=tuple(logs),
    )
