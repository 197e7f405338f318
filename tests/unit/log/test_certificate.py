"""Tally certificates: binding to the final checkpoint and to the results bytes."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest

from shared.log.certificate import (
    CertificateError,
    TallyCertificate,
    issue_certificate,
    parse_certificate,
    verify_certificate,
)
from shared.log.checkpoint import Checkpoint
from shared.log.note import InvalidSignatureError, Signer, UnverifiedNoteError

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
        (0, "vmeste/tally-certificate/v3", "header"),
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


DEFINITION = b'{"questions":["budget"]}'


def certificate_v2() -> TallyCertificate:
    return TallyCertificate.for_results(FINAL, RESULTS, AT, definition=DEFINITION, turnout=998)


def test_version_2_adds_definition_hash_and_turnout_after_the_version_1_lines() -> None:
    body = certificate_v2().body()
    lines = body.split("\n")
    assert lines[0] == "vmeste/tally-certificate/v2"
    assert lines[1:6] == certificate().body().split("\n")[1:6]
    assert lines[6] == hashlib.sha256(DEFINITION).hexdigest()
    assert lines[7] == "998"
    assert lines[8:] == [""]
    parsed = parse_certificate(body)
    assert parsed == certificate_v2()
    assert (parsed.version, parsed.turnout) == (2, 998)
    parsed.check_definition(DEFINITION)
    with pytest.raises(CertificateError, match="definition SHA-256"):
        parsed.check_definition(DEFINITION + b" ")


def test_version_1_certificates_stay_readable() -> None:
    signer = Signer.generate("k")
    note = issue_certificate(certificate(), signer)
    cert, _ = verify_certificate(note, [signer.verifier], results=RESULTS, checkpoint=FINAL)
    assert (cert.version, cert.definition_sha256, cert.turnout) == (1, None, None)
    cert.check_definition(b"anything: version 1 binds no definition")


def test_definition_and_turnout_come_together() -> None:
    with pytest.raises(CertificateError, match="come together"):
        TallyCertificate.for_results(FINAL, RESULTS, AT, definition=DEFINITION)


@pytest.mark.parametrize(
    ("index", "value", "why"),
    [
        (0, "vmeste/tally-certificate/v1", "exactly 6 lines"),
        (6, "ABC", "definition hash must be 64 lowercase hex"),
        (7, "0998", "turnout '0998' is not a canonical decimal"),
        (7, "-1", "turnout"),
    ],
)
def test_malformed_version_2_certificates_are_refused(index: int, value: str, why: str) -> None:
    lines = certificate_v2().body().split("\n")
    lines[index] = value
    with pytest.raises(CertificateError, match=why):
        parse_certificate("\n".join(lines))


def test_a_version_2_header_on_six_lines_is_refused() -> None:
    body = certificate().body().replace("/v1\n", "/v2\n", 1)
    with pytest.raises(CertificateError, match="exactly 8 lines"):
        parse_certificate(body)
