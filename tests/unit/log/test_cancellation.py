"""A cancelled log's board states the size it was sealed at: the audit holds the final signed
checkpoint and the entries to it, and refuses a certificate beside it."""

from __future__ import annotations

import io
import json

from shared.log.audit import AuditReport, audit_board
from shared.log.board import BoardCancellation

from ._support import Board, make_board


def _cancelled(board: Board, size: int, reason: str = "Перенос") -> AuditReport:
    lines = board.data.splitlines(keepends=True)
    header = json.loads(lines[0])
    header["cancellation"] = {"reason": reason, "size": size}
    data = json.dumps(header, ensure_ascii=False).encode() + b"\n" + b"".join(lines[1:])
    return audit_board(io.BytesIO(data), trusted_keys=[str(board.signer.verifier)])


def _codes(report: AuditReport) -> set[str]:
    return {f.code for f in report.errors}


def test_a_cancellation_at_the_final_checkpoint_audits_clean() -> None:
    report = _cancelled(make_board(40, (16, 40), certificate=False), 40)
    assert report.ok, report.errors
    assert report.cancellation == BoardCancellation(reason="Перенос", size=40)


def test_an_empty_cancelled_log_with_its_checkpoint_of_size_0_audits_clean() -> None:
    report = _cancelled(make_board(0, (0,), certificate=False), 0)
    assert report.ok, report.errors


def test_a_stated_size_other_than_the_final_checkpoint_fails() -> None:
    board = make_board(40, (16, 40), certificate=False)
    assert _codes(_cancelled(board, 39)) == {"cancellation-size"}
    assert _codes(_cancelled(board, 41)) == {"cancellation-size"}


def test_entries_beyond_the_sealed_size_fail() -> None:
    report = _cancelled(make_board(40, (16, 29), certificate=False), 40)
    assert "cancellation-size" in _codes(report)


def test_a_cancelled_log_with_a_tally_certificate_fails() -> None:
    report = _cancelled(make_board(40, (16, 40)), 40)
    assert _codes(report) == {"cancellation-certificate"}
