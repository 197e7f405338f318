"""Tally certificates: binding to the final checkpoint and to the results bytes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from shared.ledger.certificate import (
    CertificateError,
    TallyCertificate,
    issue_certificate,
    parse_certificate,
    verify_certificate,
)
from shared.ledger.checkpoint import Checkpoint
from shared.ledger.note import InvalidSignatureError, Signer, UnverifiedNoteError

ORIGIN = "vmeste.example/polls/7"
AT = datetime(2025, 11, 30, 20, 0, 0, tzinfo=UTC)
FINAL = Checkpoint(ORIGIN, 1000, hashlib.sha256(b"final").digest())
RESULTS = b'{"funded":["p1","p3"]}'


def certificate() -> TallyCertificate:
    return TallyCertificate.for_results(FINAL, RESULTS, AT)


def test_body_binds_checkpoint_and_results_hash() -> None:
    body = certificate().body()
    lines = body.split("\n")
    assert lines[0] == "vmeste/tally-certificate/v1"
    assert lines[1:4] == FINAL.body().split("\n")[:3]
    assert lines[4] == hashlib.sha256(RESULTS).hexdigest()
    assert lines[5] == "2025-11-30T20:00:00Z"
    assert parse_certificate(body) == certificate()


def test_certificate_verifies_against_checkpoint_and_results() -> None:
    signer = Signer.generate("vmeste.example/polls")
    note = issue_certificate(certificate(), signer)
    cert, _ = verify_certificate(note, [signer.verifier], results=RESULTS, checkpoint=FINAL)
    assert cert.size == 1000


def test_other_results_are_refused() -> None:
    signer = Signer.generate("k")
    note = issue_certificate(certificate(), signer)
    with pytest.raises(CertificateError, match="differs from certified"):
        verify_certificate(note, [signer.verifier], results=RESULTS + b" ")


def test_other_checkpoint_is_refused() -> None:
    signer = Signer.generate("k")
    note = issue_certificate(certificate(), signer)
    later = Checkpoint(ORIGIN, 1001, FINAL.root)
    with pytest.raises(CertificateError, match=r"not checkpoint .* size 1001"):
        verify_certificate(note, [signer.verifier], checkpoint=later)


def test_tampered_or_foreign_certificate_is_refused() -> None:
    signer = Signer.generate("k")
    note = issue_certificate(certificate(), signer)
    with pytest.raises(InvalidSignatureError):
        verify_certificate(note.replace("\n1000\n", "\n999\n"), [signer.verifier])
    with pytest.raises(UnverifiedNoteError):
        verify_certificate(note, [Signer.generate("k").verifier])


@pytest.mark.parametrize(
    ("index", "value", "why"),
    [
        (0, "vmeste/tally-certificate/v2", "header"),
        (1, "", "origin line is empty"),
        (2, "01000", "canonical decimal"),
        (3, "not base64!", "not valid base64"),
        (3, "AAAA", "canonical base64 of 32 bytes"),
        (4, "ABC", "64 lowercase hex"),
        (5, "yesterday", "not YYYY"),
    ],
)
def test_malformed_certificates_are_refused_precisely(index: int, value: str, why: str) -> None:
    lines = certificate().body().split("\n")
    lines[index] = value
    with pytest.raises(CertificateError, match=why):
        parse_certificate("\n".join(lines))
