"""Offline audit of real boards, and every tampering the auditor must catch, precisely."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import json
from collections.abc import Sequence
from typing import Any

import pytest

from shared.log.audit import AuditReport, audit_board, check_receipt
from shared.log.board import BoardFormatError
from shared.log.certificate import issue_certificate, verify_certificate
from shared.log.checkpoint import Checkpoint, sign_checkpoint
from shared.log.cosignature import WitnessSigner, add_signature_lines, note_parts
from shared.log.merkle import leaf_hash, root_from_leaf_hashes
from shared.log.note import Signer
from shared.log.receipt import Receipt, issue_receipt

from ._support import FIXED_TIME, ORIGIN, Board, count_tally, make_board

# --- helpers ----------------------------------------------------------------------------------


def records(board: Board | bytes) -> list[dict[str, Any]]:
    data = board.data if isinstance(board, Board) else board
    return [json.loads(line) for line in data.splitlines()]


def dump(recs: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, separators=(",", ":")).encode() + b"\n" for r in recs)


def entry_slots(recs: list[dict[str, Any]]) -> list[tuple[dict[str, Any], int]]:
    """(entries record, position) for every entry on the board, in index order."""
    return [(r, k) for r in recs if r["type"] == "entries" for k in range(len(r["entries"]))]


def audit(data: bytes, board: Board, **kw: Any) -> AuditReport:
    return audit_board(io.BytesIO(data), trusted_keys=[board.signer.verifier], **kw)


def codes(report: AuditReport) -> list[str]:
    return [f.code for f in report.errors]


def first(report: AuditReport, code: str) -> str:
    return next(f.message for f in report.errors if f.code == code)


# --- a genuine board ----------------------------------------------------------------------------


def test_genuine_board_verifies_completely() -> None:
    board = make_board()
    seen: list[tuple[int, int]] = []
    report = audit(board.data, board, tally=count_tally, progress=lambda d, t: seen.append((d, t)))
    assert report.ok, report.findings
    assert report.findings == []
    assert report.entries == 40
    assert report.root == root_from_leaf_hashes(leaf_hash(e) for e in board.entries)
    assert [c.size for c in report.checkpoints] == [5, 16, 29, 40]
    assert all(c.signature_ok and c.root_ok for c in report.checkpoints)
    assert report.certificate is not None
    assert report.certificate.bound_to_final_checkpoint
    assert report.certificate.results_ok
    assert report.certificate.tally == "match"
    assert seen[-1] == (40, 40)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_board_file_on_disk_verifies(tmp_path: Any) -> None:
    board = make_board()
    path = tmp_path / "board.jsonl"
    path.write_bytes(board.data)
    assert audit_board(path, trusted_keys=[str(board.signer.verifier)]).ok


def test_without_pinned_keys_the_board_keys_are_used_with_a_warning() -> None:
    board = make_board()
    report = audit_board(io.BytesIO(board.data))
    assert report.ok
    assert report.keys_from_board
    assert [f.code for f in report.findings] == ["untrusted-keys"]


def test_empty_log_with_a_size_zero_checkpoint_verifies() -> None:
    board = make_board(n=0, checkpoint_sizes=(0,), certificate=False)
    assert audit(board.data, board).ok


def test_entries_not_yet_checkpointed_on_a_live_board_are_a_warning() -> None:
    board = make_board(n=12, checkpoint_sizes=(5, 10), certificate=False)
    report = audit(board.data, board)
    assert report.ok
    assert [(f.code, f.severity, f.index) for f in report.findings] == [
        ("unchecked-entries", "warning", 10)
    ]


# --- the tamperings the issue lists ------------------------------------------------------------


def test_changed_entry_is_caught_at_the_first_checkpoint_covering_it() -> None:
    board = make_board()
    recs = records(board)
    rec, k = entry_slots(recs)[10]
    rec["entries"][k] = base64.b64encode(b'{"v":1,"nonce":"forged","a":2}').decode()
    report = audit(dump(recs), board)
    assert not report.ok
    mismatch = [f for f in report.errors if f.code == "checkpoint-root-mismatch"]
    assert [f.size for f in mismatch] == [16, 29, 40]
    assert "checkpoint #2 size 16" in mismatch[0].message
    assert "entries 5..15" in mismatch[0].message
    assert mismatch[0].index == 5
    assert "certificate-binding" in codes(report)


def test_dropped_entry_is_caught_with_its_index() -> None:
    board = make_board()
    recs = records(board)
    rec, k = entry_slots(recs)[20]
    del rec["entries"][k]
    report = audit(dump(recs), board)
    gap = next(f for f in report.errors if f.code == "entry-gap")
    assert "entries missing before index 21" in gap.message
    assert "board header announces 40 entries, the board holds 39" in first(report, "entry-count")
    assert "checkpoint #3 size 29" in first(report, "checkpoint-root-mismatch")
    assert "checkpoint #4 is for size 40 but the board holds only 39" in first(
        report, "checkpoint-beyond-entries"
    )


def test_dropped_entry_with_renumbered_records_is_still_caught() -> None:
    board = make_board()
    entries = board.entries[:20] + board.entries[21:]
    recs = records(board)
    body = [r for r in recs if r["type"] != "entries"]
    body[0]["size"] = 39
    tampered = dump(body) + b"".join(
        json.dumps(
            {
                "type": "entries",
                "start": s,
                "entries": [base64.b64encode(e).decode() for e in entries[s : s + 7]],
            },
            separators=(",", ":"),
        ).encode()
        + b"\n"
        for s in range(0, 39, 7)
    )
    report = audit(tampered, board)
    assert "entry-gap" not in codes(report)
    assert "checkpoint #3 size 29" in first(report, "checkpoint-root-mismatch")


def test_two_reordered_entries_are_caught() -> None:
    board = make_board()
    recs = records(board)
    slots = entry_slots(recs)
    (r1, k1), (r2, k2) = slots[3], slots[4]
    r1["entries"][k1], r2["entries"][k2] = r2["entries"][k2], r1["entries"][k1]
    report = audit(dump(recs), board)
    assert "checkpoint #1 size 5" in first(report, "checkpoint-root-mismatch")
    assert "entries 0..4" in first(report, "checkpoint-root-mismatch")


def test_entry_appended_after_the_final_checkpoint_is_caught() -> None:
    board = make_board()
    recs = records(board)
    recs[0]["size"] = 41
    recs.append(
        {"type": "entries", "start": 40, "entries": [base64.b64encode(b"stuffed").decode()]}
    )
    report = audit(dump(recs), board)
    assert codes(report) == ["unchecked-entries", "certificate-turnout"]
    finding = report.errors[0]
    assert finding.index == 40
    assert "entries 40..40 (1) come after the last signed checkpoint (size 40)" in finding.message
    assert "tally certificate declares final" in finding.message


def test_two_signed_checkpoints_of_the_same_size_are_equivocation() -> None:
    board0 = make_board()
    fork = Checkpoint(ORIGIN, 16, leaf_hash(b"other history"))
    board = make_board(
        signer=board0.signer, extra_checkpoints=[sign_checkpoint(fork, board0.signer)]
    )
    report = audit(board.data, board)
    eq = next(f for f in report.errors if f.code == "equivocation")
    assert eq.size == 16
    assert "checkpoints #2 and #5 are both validly signed for size 16" in eq.message
    assert "checkpoint #5 size 16" in first(report, "checkpoint-root-mismatch")


def test_signed_checkpoint_inconsistent_with_earlier_ones_is_caught() -> None:
    signer = Signer.generate(ORIGIN)
    other = make_board(
        entries=[b"x%d" % i for i in range(40)], checkpoint_sizes=(33,), signer=signer
    )
    forked_note = other.notes[0]
    board = make_board(signer=signer, extra_checkpoints=[forked_note])
    report = audit(board.data, board)
    message = first(report, "checkpoint-root-mismatch")
    assert "checkpoint #5 size 33" in message
    assert "entries up to size 29 match" in message
    # The genuine checkpoints and the certificate still stand.
    assert [c.root_ok for c in report.checkpoints] == [True, True, True, True, False]
    assert report.certificate is not None
    assert report.certificate.bound_to_final_checkpoint


# --- signatures, certificate and tally -----------------------------------------------------------


def test_checkpoint_signed_by_an_unknown_key_is_named() -> None:
    board0 = make_board()
    stranger = Signer.generate(ORIGIN)
    board = make_board(
        signer=board0.signer,
        extra_checkpoints=[sign_checkpoint(Checkpoint(ORIGIN, 40, b"\x00" * 32), stranger)],
    )
    report = audit(board.data, board)
    assert "checkpoint #5 (line 6): note has no verifiable signatures" in first(
        report, "checkpoint-signature"
    )


def test_flipped_bit_in_a_checkpoint_signature_is_caught() -> None:
    board = make_board()
    recs = records(board)
    note = recs[2]["note"]
    text, sig_line = note.split("\n\n")
    name, b64 = sig_line[2:-1].split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[20] ^= 0x10
    recs[2]["note"] = f"{text}\n\n— {name} {base64.b64encode(bytes(raw)).decode()}\n"
    report = audit(dump(recs), board)
    assert "checkpoint #2 (line 3): invalid signature" in first(report, "checkpoint-signature")


def test_changed_results_document_is_caught() -> None:
    board = make_board()
    recs = records(board)
    cert = next(r for r in recs if r["type"] == "certificate")
    cert["results"] = base64.b64encode(b'{"counts":{"0":40}}').decode()
    report = audit(dump(recs), board)
    assert codes(report) == ["certificate-results"]


def test_recomputed_tally_that_differs_is_caught() -> None:
    board = make_board()

    def wrong_tally(definition: bytes, entries: Sequence[bytes]) -> bytes:
        return count_tally(definition, entries[1:])

    report = audit(board.data, board, tally=wrong_tally)
    assert codes(report) == ["tally-mismatch"]
    assert "recomputed from the 40 entries" in report.errors[0].message
    assert report.certificate is not None
    assert report.certificate.tally == "mismatch"


def test_tally_code_crash_is_reported_not_raised() -> None:
    board = make_board()

    def broken(definition: bytes, entries: Sequence[bytes]) -> bytes:
        raise ZeroDivisionError("bad rule")

    report = audit(board.data, board, tally=broken)
    assert "tally recomputation failed: ZeroDivisionError: bad rule" in first(report, "tally-error")


def test_certificate_for_an_earlier_checkpoint_is_not_bound_to_the_final_one() -> None:
    board = make_board(checkpoint_sizes=(5, 16, 29, 40))
    other = make_board(checkpoint_sizes=(5, 16, 29), signer=board.signer)
    recs = records(board)
    cert_other = next(r for r in records(other) if r["type"] == "certificate")
    for i, r in enumerate(recs):
        if r["type"] == "certificate":
            recs[i] = cert_other
    report = audit(dump(recs), board)
    assert "not the final verified checkpoint (size 40" in first(report, "certificate-binding")


def test_forged_certificate_is_caught() -> None:
    board = make_board()
    recs = records(board)
    cert = next(r for r in recs if r["type"] == "certificate")
    cert["note"] = cert["note"].replace("\n40\n", "\n39\n", 1)
    report = audit(dump(recs), board)
    assert "tally certificate: invalid signature" in first(report, "certificate-signature")


# --- malformed boards ---------------------------------------------------------------------------


def test_damaged_line_in_the_middle_is_reported_with_its_number() -> None:
    board = make_board()
    lines = board.lines
    lines[8] = b'{"type":"entries","start":"x"}\n'
    report = audit(b"".join(lines), board)
    assert "board line 9" in first(report, "board-format")


def test_a_file_that_is_not_a_board_is_refused() -> None:
    with pytest.raises(BoardFormatError, match="board line 1"):
        audit_board(io.BytesIO(b"hello\n"))
    with pytest.raises(BoardFormatError, match="first record must be the board header"):
        audit_board(io.BytesIO(b'{"type":"checkpoint","note":"x"}\n'))


def test_an_unknown_board_format_is_refused() -> None:
    board = make_board()
    recs = records(board)
    recs[0]["format"] = "vmeste-board/v9"
    with pytest.raises(BoardFormatError, match="vmeste-board/v9"):
        audit_board(io.BytesIO(dump(recs)))


# --- one receipt against a board ----------------------------------------------------------------


def receipt_for(board: Board, entry: bytes, signer: Signer | None = None) -> str:
    return issue_receipt(Receipt(ORIGIN, leaf_hash(entry), FIXED_TIME), signer or board.signer)


def test_receipt_proves_inclusion_in_the_first_covering_checkpoint() -> None:
    board = make_board()
    result = check_receipt(
        receipt_for(board, board.entries[7]),
        io.BytesIO(board.data),
        trusted_keys=[board.signer.verifier],
    )
    assert result.ok, result.findings
    assert (result.index, result.checkpoint_size) == (7, 16)
    assert result.tracking_code is not None


def test_genuine_receipt_for_a_missing_entry_proves_the_drop() -> None:
    board = make_board()
    result = check_receipt(
        receipt_for(board, b"accepted but dropped"),
        io.BytesIO(board.data),
        trusted_keys=[board.signer.verifier],
    )
    assert result.receipt_ok
    assert [f.code for f in result.findings] == ["receipt-entry-missing"]
    assert "the receipt is genuine" in result.findings[0].message


def test_forged_receipt_is_refused_on_the_board() -> None:
    board = make_board()
    result = check_receipt(
        receipt_for(board, board.entries[3], Signer.generate(ORIGIN)),
        io.BytesIO(board.data),
        trusted_keys=[board.signer.verifier],
    )
    assert not result.receipt_ok
    assert [f.code for f in result.findings] == ["receipt-signature"]


def test_receipt_for_an_entry_after_the_last_checkpoint_is_not_yet_provable() -> None:
    board = make_board(n=12, checkpoint_sizes=(5, 10), certificate=False)
    result = check_receipt(
        receipt_for(board, board.entries[11]),
        io.BytesIO(board.data),
        trusted_keys=[board.signer.verifier],
    )
    assert [(f.code, f.index) for f in result.findings] == [("receipt-not-checkpointed", 11)]


def test_receipt_on_a_board_with_another_entry_changed_fails_inclusion() -> None:
    board = make_board()
    recs = records(board)
    rec, k = entry_slots(recs)[2]
    rec["entries"][k] = base64.b64encode(b"changed").decode()
    result = check_receipt(
        receipt_for(board, board.entries[7]),
        io.BytesIO(dump(recs)),
        trusted_keys=[board.signer.verifier],
    )
    assert [(f.code, f.index, f.size) for f in result.findings] == [("receipt-inclusion", 7, 16)]


# --- witnesses' quorum -------------------------------------------------------------------------

WITNESS_A = WitnessSigner.generate("witness-a.example")
WITNESS_B = WitnessSigner.generate("witness-b.example")
WITNESS_KEYS = [WITNESS_A.key, WITNESS_B.key]
COSIGNED_AT = 1_764_079_387


def cosigned(note: str, *witnesses: WitnessSigner) -> str:
    body, _ = note_parts(note)
    return add_signature_lines(note, [w.cosign(body, COSIGNED_AT) for w in witnesses])


def with_cosignatures(board: Board, by_size: dict[int, Sequence[WitnessSigner]]) -> bytes:
    """The board with each checkpoint of a listed size cosigned by those witnesses."""
    recs = records(board)
    for r in recs:
        if r["type"] == "checkpoint":
            size = int(r["note"].split("\n")[1])
            r["note"] = cosigned(r["note"], *by_size.get(size, ()))
    return dump(recs)


def test_final_checkpoint_cosigned_by_the_quorum_verifies() -> None:
    board = make_board()
    data = with_cosignatures(board, {40: [WITNESS_A, WITNESS_B], 29: [WITNESS_A]})
    report = audit(data, board, witnesses=WITNESS_KEYS, quorum=2)
    assert report.ok, report.findings
    assert report.quorum == 2
    assert len(report.checkpoints[-1].cosigned_by) == 2
    # Earlier checkpoints without the quorum are one warning, not a failure.
    assert [(f.code, f.severity) for f in report.findings] == [
        ("witness-quorum-earlier", "warning")
    ]
    assert "sizes 5, 16, 29" in report.findings[0].message


def test_final_checkpoint_without_the_quorum_fails_naming_it() -> None:
    board = make_board()
    data = with_cosignatures(board, {40: [WITNESS_A]})
    report = audit(data, board, witnesses=WITNESS_KEYS, quorum=2)
    assert not report.ok
    finding = next(f for f in report.errors if f.code == "witness-quorum")
    assert finding.size == 40
    assert "final checkpoint #4 (size 40) has 1 valid witness cosignature(s)" in finding.message
    assert "of the 2 required" in finding.message


def test_cosignature_by_an_unknown_witness_key_is_ignored() -> None:
    board = make_board()
    stranger = WitnessSigner.generate("witness-a.example")  # same name, another key
    data = with_cosignatures(board, {40: [WITNESS_A, stranger]})
    report = audit(data, board, witnesses=WITNESS_KEYS, quorum=1)
    assert report.ok, report.findings
    assert report.checkpoints[-1].cosigned_by == (f"witness-a.example+{WITNESS_A.key.key_id:08x}",)
    report = audit(data, board, witnesses=WITNESS_KEYS, quorum=2)
    assert "has 1 valid witness cosignature(s)" in first(report, "witness-quorum")


def test_forged_cosignature_of_a_known_witness_is_caught() -> None:
    board = make_board()
    data = with_cosignatures(board, {40: [WITNESS_A, WITNESS_B]})
    # B's line moved onto another checkpoint: it claims B but does not verify there.
    recs = records(data)
    final = next(r for r in recs if r["type"] == "checkpoint" and "\n40\n" in r["note"])
    b_line = next(line for line in final["note"].split("\n") if "witness-b" in line)
    earlier = next(r for r in recs if r["type"] == "checkpoint" and "\n29\n" in r["note"])
    earlier["note"] += b_line + "\n"
    report = audit(dump(recs), board, witnesses=WITNESS_KEYS, quorum=2)
    finding = next(f for f in report.errors if f.code == "cosignature-invalid")
    assert finding.size == 29
    assert "does not verify" in finding.message


def test_a_quorum_larger_than_the_witnesses_given_is_refused() -> None:
    board = make_board()
    with pytest.raises(ValueError, match="quorum of 3"):
        audit(board.data, board, witnesses=[*WITNESS_KEYS, WITNESS_A.key], quorum=3)


def test_receipt_is_proven_into_the_first_covering_checkpoint_with_the_quorum() -> None:
    board = make_board()
    data = with_cosignatures(board, {29: [WITNESS_A], 40: [WITNESS_A, WITNESS_B]})
    receipt = receipt_for(board, board.entries[7])
    keys = [board.signer.verifier]
    result = check_receipt(
        receipt, io.BytesIO(data), trusted_keys=keys, witnesses=WITNESS_KEYS, quorum=2
    )
    assert result.ok, result.findings
    assert result.checkpoint_size == 40
    assert len(result.cosigned_by) == 2
    result = check_receipt(
        receipt, io.BytesIO(board.data), trusted_keys=keys, witnesses=WITNESS_KEYS, quorum=1
    )
    assert [(f.code, f.index) for f in result.findings] == [("witness-quorum", 7)]
    assert "has 0" in result.findings[0].message


# --- checkpoints seen elsewhere -----------------------------------------------------------------


def checkpoint_at(entries: Sequence[bytes], size: int, signer: Signer) -> str:
    root = root_from_leaf_hashes(leaf_hash(e) for e in entries[:size])
    return sign_checkpoint(Checkpoint(ORIGIN, size, root), signer)


def test_seen_checkpoints_consistent_with_the_board_pass_at_any_size() -> None:
    board = make_board()
    seen = [
        ("browser", checkpoint_at(board.entries, 23, board.signer)),  # not on the board
        ("newspaper", board.notes[1]),
        ("witness", cosigned(board.notes[3], WITNESS_A)),
    ]
    report = audit(board.data, board, seen=seen)
    assert report.ok, report.findings
    assert [(s.label, s.size, s.consistent) for s in report.seen] == [
        ("browser", 23, True),
        ("newspaper", 16, True),
        ("witness", 40, True),
    ]


def test_seen_checkpoint_of_another_history_is_a_split_view() -> None:
    board = make_board()
    forked = [*board.entries[:20], b"a ballot only the newspaper's log holds", *board.entries[21:]]
    seen = [("newspaper.txt", checkpoint_at(forked, 23, board.signer))]
    report = audit(board.data, board, seen=seen)
    finding = next(f for f in report.errors if f.code == "seen-inconsistent")
    assert finding.size == 23
    assert "seen checkpoint newspaper.txt (size 23)" in finding.message
    assert report.seen[0].consistent is False


def test_seen_checkpoint_larger_than_the_board_fails() -> None:
    board = make_board()
    longer = [*board.entries, b"withheld"]
    report = audit(board.data, board, seen=[("browser", checkpoint_at(longer, 41, board.signer))])
    assert "size 41 but the board holds only 40" in first(report, "seen-beyond-board")


def test_seen_checkpoint_not_signed_by_the_log_keys_fails() -> None:
    board = make_board()
    other = checkpoint_at(board.entries, 16, Signer.generate(ORIGIN))
    report = audit(board.data, board, seen=[("somewhere", other)])
    assert "seen checkpoint somewhere" in first(report, "seen-signature")


def test_receipt_check_also_compares_seen_checkpoints() -> None:
    board = make_board()
    forked = [b"rewritten", *board.entries[1:]]
    result = check_receipt(
        receipt_for(board, board.entries[7]),
        io.BytesIO(board.data),
        trusted_keys=[board.signer.verifier],
        seen=[("good", board.notes[2]), ("bad", checkpoint_at(forked, 12, board.signer))],
    )
    assert [(f.code, f.size) for f in result.findings] == [("seen-inconsistent", 12)]
    assert [s.consistent for s in result.seen] == [True, False]


# --- the certificate binds the definition and the turnout ---------------------------------------


def resigned_certificate(board: Board, **changes: Any) -> bytes:
    """The board with its certificate re-signed (by the board's key) with other fields."""
    recs = records(board)
    cert = next(r for r in recs if r["type"] == "certificate")
    stated, _ = verify_certificate(cert["note"], [board.signer.verifier])
    cert["note"] = issue_certificate(dataclasses.replace(stated, **changes), board.signer)
    return dump(recs)


def test_certificate_v2_binds_definition_and_turnout() -> None:
    board = make_board()
    report = audit(board.data, board, tally=count_tally)
    assert report.certificate is not None
    assert report.certificate.version == 2
    assert (report.certificate.definition_ok, report.certificate.turnout_ok) == (True, True)


def test_altered_definition_on_the_board_is_caught() -> None:
    board = make_board()
    recs = records(board)
    recs[0]["definition"] = base64.b64encode(b"poll-42 with another budget").decode()
    report = audit(dump(recs), board)
    assert codes(report) == ["certificate-definition"]
    assert "not the one the results were certified for" in report.errors[0].message
    assert report.certificate is not None
    assert report.certificate.definition_ok is False


def test_certificate_binding_another_definition_is_caught() -> None:
    board = make_board()
    data = resigned_certificate(board, definition_sha256=hashlib.sha256(b"poll-43").digest())
    assert codes(audit(data, board)) == ["certificate-definition"]


@pytest.mark.parametrize(("turnout", "why"), [(41, "entries are missing"), (39, "nobody")])
def test_turnout_other_than_the_entries_is_caught(turnout: int, why: str) -> None:
    board = make_board()
    report = audit(resigned_certificate(board, turnout=turnout), board)
    assert codes(report) == ["certificate-turnout"]
    assert f"turnout of {turnout}, the board holds 40 entries" in report.errors[0].message
    assert why in report.errors[0].message


def test_old_format_certificate_still_verifies_with_a_warning() -> None:
    board = make_board(certificate_version=1)
    assert records(board)[5]["note"].startswith("vmeste/tally-certificate/v1\n")
    report = audit(board.data, board, tally=count_tally)
    assert report.ok, report.findings
    assert [(f.code, f.severity) for f in report.findings] == [("certificate-v1", "warning")]
    assert report.certificate is not None
    assert report.certificate.version == 1
    assert report.certificate.tally == "match"
