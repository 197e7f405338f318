"""The polls service's own secret: the root of every poll key and every receipt seal.

One 32-byte secret in ``<keys_dir>/polls-secret``, generated on first start (in production the
folder is a mounted Kubernetes Secret). From it, by HMAC-SHA256 with distinct labels:

* the **poll key** of each poll, which keys its voter tags (``HMAC(poll key, sub)``), so the
  same person has unrelated tags in different polls and nobody without the secret can
  compute a tag from a subject;
* the **seal key** of each participation row, which encrypts the voter's original receipt
  details (see :mod:`services.polls.casting.sealing`);
* the **pool key** of each poll, which seals the ballots waiting in the pool (see
  :mod:`services.polls.casting.pooling`);
* the **confirmation key**, which makes the links confirming a notification e-mail address;
* the **gate key**, which turns a voter into the Redis gate's key: unrelated to the voter tag,
  so a Redis dump and a database dump cannot be joined on it.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path

from shared.secret_files import secret_once

__all__ = ("ServiceSecret",)

_SIZE = 32
_FILE = "polls-secret"
_POLL_KEYS_KEPT = 4_096
"""Per-poll keys held at once (two per poll; far more than polls open together)."""


class ServiceSecret:
    def __init__(self, secret: bytes) -> None:
        if len(secret) != _SIZE:
            raise ValueError(f"the polls secret must be {_SIZE} bytes, got {len(secret)}")
        self._secret = secret
        self._poll_keys: dict[tuple[str, str], bytes] = {}

    @classmethod
    def load_or_create(cls, keys_dir: Path) -> ServiceSecret:
        """Read the secret, creating it if absent (several workers may race: they share the
        one written first)."""
        path = keys_dir / _FILE
        data = secret_once(path, lambda: secrets.token_bytes(_SIZE))
        if len(data) != _SIZE:
            raise ValueError(f"{path} does not hold a {_SIZE}-byte secret")
        return cls(data)

    def _derive(self, label: str, value: bytes) -> bytes:
        return hmac.digest(self._secret, label.encode() + b"\x00" + value, "sha256")

    def _per_poll(self, label: str, poll_id: str) -> bytes:
        # A poll's keys are asked for by every cast and every mixed ballot: derived once.
        key = self._poll_keys.get((label, poll_id))
        if key is None:
            key = self._derive(label, poll_id.encode())
            if len(self._poll_keys) >= _POLL_KEYS_KEPT:
                self._poll_keys.clear()
            self._poll_keys[(label, poll_id)] = key
        return key

    def poll_key(self, poll_id: str) -> bytes:
        return self._per_poll("vmeste/polls/poll-key/v1", poll_id)

    def voter_tag(self, poll_id: str, sub: str) -> str:
        """``HMAC(poll key, sub)``, hex: the voter's pseudonym within one poll."""
        return hmac.digest(self.poll_key(poll_id), sub.encode(), "sha256").hex()

    def seal_key(self, voter_tag: str) -> bytes:
        return self._derive("vmeste/polls/receipt-seal/v1", voter_tag.encode())

    def pool_key(self, poll_id: str) -> bytes:
        return self._per_poll("vmeste/polls/pool-seal/v1", poll_id)

    def confirmation_key(self) -> bytes:
        """Keys the links that confirm a notification e-mail address (never stored)."""
        return self._derive("vmeste/polls/email-confirmation/v1", b"")

    def gate_tag(self, poll_id: str, sub: str) -> str:
        """The voter's key in the Redis gate: a keyed hash no other store shares."""
        return self._derive("vmeste/polls/redis-gate/v1", f"{poll_id}\n{sub}".encode()).hex()[:32]
