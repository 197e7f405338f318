"""The original receipt's details, sealed in the participation row.

A repeated cast must be answered with the original receipt's tracking code, and a retried
request with the same ``Idempotency-Key`` with the original receipt itself. That needs the
entry hash somewhere the service can find from the voter, which is exactly the link the
participation table must not show. The trade-off taken: the row holds the details
(entry hash, accepted-at, idempotency key) encrypted with AES-256-GCM under a key derived
from the service secret and the voter tag, with the poll and tag as associated data.

* The database alone (a dump, a backup, a DBA) cannot link a voter tag to a ballot: the
  secret lives in the keys folder, not in the database.
* Whoever holds both the database and the service secret can link a *voter tag* to its
  ballot; turning a tag into a person additionally needs the person's ``sub`` (itself an
  HMAC of the ESIA oid under the identity pepper). Dropping the seals after the poll is
  tallied (or not storing them) would remove even that, at the price of answering late
  repeats without their tracking code.
"""

from __future__ import annotations

import datetime as dt

import msgspec

from services.polls.casting.boxes import close_box, open_box
from services.polls.service_secret import ServiceSecret

__all__ = ("SealedReceipt", "open_seal", "seal")


class SealedReceipt(msgspec.Struct, frozen=True, kw_only=True):
    entry_hash: bytes
    accepted_at: dt.datetime
    idempotency_key: str | None = None


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(SealedReceipt)


def _aad(poll_id: str, voter_tag: str) -> bytes:
    return f"{poll_id}\n{voter_tag}".encode()


def seal(secret: ServiceSecret, poll_id: str, voter_tag: str, receipt: SealedReceipt) -> bytes:
    return close_box(secret.seal_key(voter_tag), _encoder.encode(receipt), _aad(poll_id, voter_tag))


def open_seal(secret: ServiceSecret, poll_id: str, voter_tag: str, sealed: bytes) -> SealedReceipt:
    """Decrypt a seal; raises ValueError if it was tampered with or moved to another row."""
    key, aad = secret.seal_key(voter_tag), _aad(poll_id, voter_tag)
    return _decoder.decode(open_box(key, sealed, aad, "seal"))
