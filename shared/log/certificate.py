"""Tally certificates: a signed note binding a log's final checkpoint to its results.

Version 2 (issued now) is exactly eight lines::

    vmeste/tally-certificate/v2
    <log origin>
    <final tree size, decimal>
    <final root hash, standard base64, as on the checkpoint>
    <SHA-256 of the results document, 64 lowercase hex digits>
    <issued at: UTC, RFC 3339 to the second>
    <SHA-256 of the board's definition bytes, 64 lowercase hex digits>
    <turnout: participations (polls) or comments (comment periods) counted by the service,
     decimal>

Version 1 (still read, so certificates issued before stay verifiable) is the first six lines
with the header ``vmeste/tally-certificate/v1``: it binds neither definition nor turnout.

The results document itself (canonical bytes made by the tally code, opaque here) is published
beside the certificate; hex for its hash so ``sha256sum results.json`` can be compared by eye.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.log.checkpoint import Checkpoint
from shared.log.merkle import HASH_SIZE
from shared.log.note import Note, NoteError, Signer, Verifier, open_note, sign_note
from shared.log.seconds import format_utc_seconds, parse_utc_seconds

__all__ = (
    "CERTIFICATE_HEADER",
    "CERTIFICATE_HEADER_V1",
    "CertificateError",
    "TallyCertificate",
    "issue_certificate",
    "parse_certificate",
    "verify_certificate",
)

CERTIFICATE_HEADER = "vmeste/tally-certificate/v2"
CERTIFICATE_HEADER_V1 = "vmeste/tally-certificate/v1"
_HEX64 = re.compile(r"[0-9a-f]{64}")
_SIZE = re.compile(r"0|[1-9][0-9]{0,19}")


class CertificateError(NoteError):
    """A certificate is malformed or does not match the checkpoint or results given."""


@dataclass(frozen=True, slots=True)
class TallyCertificate:
    """What a tally certificate states."""

    origin: str
    size: int
    root: bytes
    results_sha256: bytes
    issued_at: datetime
    definition_sha256: bytes | None = None
    """SHA-256 of the definition bytes the board carries (version 2; None in version 1)."""
    turnout: int | None = None
    """Participations or comments the service counted (version 2; None in version 1)."""

    def __post_init__(self) -> None:
        if not self.origin or "\n" in self.origin:
            raise CertificateError("certificate origin must be one non-empty line")
        if not 0 <= self.size < 1 << 64:
            raise CertificateError(f"certificate size {self.size} outside 0..2^64-1")
        if len(self.root) != HASH_SIZE or len(self.results_sha256) != HASH_SIZE:
            raise CertificateError(f"root and results hash must be {HASH_SIZE} bytes")
        if self.issued_at.tzinfo is None:
            raise CertificateError("issued-at must be timezone-aware")
        if (self.definition_sha256 is None) != (self.turnout is None):
            raise CertificateError("definition hash and turnout come together (version 2)")
        if self.definition_sha256 is not None and len(self.definition_sha256) != HASH_SIZE:
            raise CertificateError(f"definition hash must be {HASH_SIZE} bytes")
        if self.turnout is not None and not 0 <= self.turnout < 1 << 64:
            raise CertificateError(f"certificate turnout {self.turnout} outside 0..2^64-1")

    @property
    def version(self) -> int:
        """2 when the certificate binds definition and turnout, 1 for the older format."""
        return 1 if self.definition_sha256 is None else 2

    @classmethod
    def for_results(
        cls,
        checkpoint: Checkpoint,
        results: bytes,
        issued_at: datetime,
        *,
        definition: bytes | None = None,
        turnout: int | None = None,
    ) -> TallyCertificate:
        """Certificate binding ``checkpoint`` (the final one) to the ``results`` bytes and,
        given both (version 2), to the ``definition`` bytes and the ``turnout``."""
        return cls(
            checkpoint.origin,
            checkpoint.size,
            checkpoint.root,
            hashlib.sha256(results).digest(),
            issued_at,
            None if definition is None else hashlib.sha256(definition).digest(),
            turnout,
        )

    def body(self) -> str:
        """The certificate text that gets signed."""
        at = format_utc_seconds(self.issued_at)
        root = base64.b64encode(self.root).decode()
        common = f"{self.origin}\n{self.size}\n{root}\n{self.results_sha256.hex()}\n{at}\n"
        if self.definition_sha256 is None:
            return f"{CERTIFICATE_HEADER_V1}\n{common}"
        return f"{CERTIFICATE_HEADER}\n{common}{self.definition_sha256.hex()}\n{self.turnout}\n"

    def check_definition(self, definition: bytes) -> None:
        """Raise :class:`CertificateError` unless ``definition`` are the certified bytes
        (a version 1 certificate binds no definition and passes)."""
        if self.definition_sha256 is None:
            return
        got = hashlib.sha256(definition).digest()
        if got != self.definition_sha256:
            raise CertificateError(
                f"definition SHA-256 {got.hex()} differs from certified "
                f"{self.definition_sha256.hex()}"
            )

    def check_results(self, results: bytes) -> None:
        """Raise :class:`CertificateError` unless ``results`` are the certified bytes."""
        got = hashlib.sha256(results).digest()
        if got != self.results_sha256:
            raise CertificateError(
                f"results SHA-256 {got.hex()} differs from certified {self.results_sha256.hex()}"
            )

    def check_checkpoint(self, checkpoint: Checkpoint) -> None:
        """Raise :class:`CertificateError` unless ``checkpoint`` is the certified one."""
        if (checkpoint.origin, checkpoint.size, checkpoint.root) != (
            self.origin,
            self.size,
            self.root,
        ):
            raise CertificateError(
                f"certificate binds {self.origin} size {self.size}, not checkpoint "
                f"{checkpoint.origin} size {checkpoint.size} (or their roots differ)"
            )


def parse_certificate(body: str) -> TallyCertificate:
    """Parse a certificate body strictly.

    Raises:
        CertificateError: saying which line is wrong.
    """
    lines = body.split("\n")
    header = lines[0]
    want = {CERTIFICATE_HEADER_V1: 6, CERTIFICATE_HEADER: 8}.get(header)
    if want is None:
        raise CertificateError(
            f"certificate header is {header!r}, want {CERTIFICATE_HEADER!r} "
            f"(or {CERTIFICATE_HEADER_V1!r})"
        )
    if len(lines) != want + 1 or lines[want] != "":
        raise CertificateError(
            f"{header} body must be exactly {want} lines, each ending in newline"
        )
    origin, size_text, root_text, results_hex, at_text = lines[1:6]
    if not origin:
        raise CertificateError("certificate origin line is empty")
    if not _SIZE.fullmatch(size_text):
        raise CertificateError(f"certificate size {size_text!r} is not a canonical decimal")
    try:
        root = base64.b64decode(root_text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        raise CertificateError(f"certificate root {root_text!r} is not valid base64") from None
    if len(root) != HASH_SIZE or base64.b64encode(root).decode() != root_text:
        raise CertificateError("certificate root must be canonical base64 of 32 bytes")
    if not _HEX64.fullmatch(results_hex):
        raise CertificateError("certificate results hash must be 64 lowercase hex digits")
    at = parse_utc_seconds(at_text, "certificate time", CertificateError)
    definition: bytes | None = None
    turnout: int | None = None
    if want == 8:
        definition_hex, turnout_text = lines[6:8]
        if not _HEX64.fullmatch(definition_hex):
            raise CertificateError("certificate definition hash must be 64 lowercase hex digits")
        if not _SIZE.fullmatch(turnout_text):
            raise CertificateError(
                f"certificate turnout {turnout_text!r} is not a canonical decimal"
            )
        definition, turnout = bytes.fromhex(definition_hex), int(turnout_text)
    return TallyCertificate(
        origin, int(size_text), root, bytes.fromhex(results_hex), at, definition, turnout
    )


def issue_certificate(certificate: TallyCertificate, *signers: Signer) -> str:
    """The certificate as a signed note."""
    return sign_note(certificate.body(), *signers)


def verify_certificate(
    note: str | bytes,
    known: Iterable[Verifier],
    *,
    results: bytes | None = None,
    checkpoint: Checkpoint | None = None,
) -> tuple[TallyCertificate, Note]:
    """Check a certificate's signature and, if given, its binding to results and checkpoint.

    Raises:
        NoteError: bad or missing signature, or a malformed note.
        CertificateError: malformed body, results hash or checkpoint mismatch.
    """
    opened = open_note(note, known)
    certificate = parse_certificate(opened.text)
    if checkpoint is not None:
        certificate.check_checkpoint(checkpoint)
    if results is not None:
        certificate.check_results(results)
    return certificate, opened
