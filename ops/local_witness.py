"""Witnesses on this machine, for ``vmeste dev`` (one) and ``vmeste cluster`` (two).

Each local witness has its own folder (its key and its SQLite database), follows the polls
and discussions logs of the platform it serves, and is started under granian like the
services. The platform's services learn its URL and key through ``VMESTE_WITNESSES``.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ops.localproc import granian_command
from shared.db.migrate import migrate
from shared.log.cosignature import WitnessSigner
from shared.log.service import load_log_keys
from shared.secret_files import secret_once

__all__ = ("LocalWitness", "prepare_witness", "witnesses_env")

_KEY_FILE = "witness.key"  # what services/witness/keys.py reads from its keys folder


@dataclass(frozen=True, slots=True)
class LocalWitness:
    name: str
    port: int
    key: str
    """Its cosignature/v1 verifier key."""
    env: dict[str, str]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, host: str = "127.0.0.1") -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            granian_command("witness", host, self.port),
            env=self.env,
            start_new_session=True,  # its own process group, so a drill can kill it whole
        )


def prepare_witness(
    folder: Path,
    name: str,
    port: int,
    keys_dir: Path,
    public_urls: Mapping[str, str],
    base_env: Mapping[str, str],
) -> LocalWitness:
    """Create the witness's key (first start only) and database, following the logs whose
    keys are in ``keys_dir`` under the origins of ``public_urls`` (service → URL)."""
    keys = folder / "keys"
    key = secret_once(keys / _KEY_FILE, lambda: f"{WitnessSigner.generate(name)}\n".encode())
    signer = WitnessSigner.parse(key.decode())
    follows = []
    for service, url in public_urls.items():
        parts = urlsplit(url)
        # The origins the services sign under: polls keeps its URL's path, discussions only
        # the host (services/polls/app.py log_origin_prefix; services/discussions/app.py).
        base = parts.netloc + (parts.path.rstrip("/") if service == "polls" else "")
        follows.append(
            {
                "origin_prefix": f"{base}/{service}/",
                "keys": list(load_log_keys(keys_dir, service).verifier_keys()),
            }
        )
    database = f"sqlite:///{folder / 'witness.sqlite'}"
    env = {
        **{k: v for k, v in base_env.items() if not k.startswith("VMESTE_WITNESS")},
        "VMESTE_DATA_DIR": str(folder),
        "VMESTE_KEYS_DIR": str(keys),
        "VMESTE_WITNESS_DATABASE_URL": database,
        "VMESTE_WITNESS_LOGS": json.dumps(follows),
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    migrate("witness", database)
    return LocalWitness(name, port, str(signer.key), env)


def witnesses_env(witnesses: Sequence[LocalWitness], quorum: int) -> dict[str, str]:
    """What the platform's services need to submit checkpoints to these witnesses."""
    listed = [{"url": w.url, "key": w.key} for w in witnesses]
    return {"VMESTE_WITNESSES": json.dumps(listed), "VMESTE_WITNESS_QUORUM": str(quorum)}
