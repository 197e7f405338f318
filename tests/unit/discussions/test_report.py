"""The report from the board: every log entry exactly once, nothing added or altered."""

from __future__ import annotations

import csv
import io

import msgspec
import pytest

from shared.canonical import canonical_bytes
from shared.comment_period.entry import Stance, make_entry
from shared.comment_period.report import (
    Annotation,
    CommentPeriodDefinition,
    CommentReport,
    ReportError,
    render_csv,
    render_html,
    report_from_board,
)
from shared.log.merkle import leaf_hash

PERIOD = "cp-1"


def _entry(text: str, section: str = "p1") -> tuple[bytes, bytes, str]:
    entry, salt = make_entry(
        period=PERIOD,
        draft="d",
        draft_version=1,
        section=section,
        stance=Stance.OBJECT,
        text=text,
        proposed_wording="",
    )
    return entry, salt, leaf_hash(entry).hex()


def _definition(annotations: list[Annotation]) -> bytes:
    return canonical_bytes(
        CommentPeriodDefinition(
            period=PERIOD,
            draft="d",
            organisation="kazan",
            title="T",
            kind="решение",
            starts_at="2026-01-01T00:00:00Z",
            ends_at="2026-02-01T00:00:00Z",
            annotations=tuple(annotations),
        )
    )


def _board() -> tuple[list[bytes], list[Annotation]]:
    e1, s1, h1 = _entry("<script>x</script>")
    e2, _, h2 = _entry("Телефон 8-900", section="p2")
    annotations = [
        Annotation(
            entry_hash=h1,
            status="published",
            text="<script>x</script>",
            proposed_wording="",
            salt=s1,
            disposition="accepted",
            justification="ok",
            rating=4,
        ),
        Annotation(entry_hash=h2, status="rejected", reason="personal_data"),
    ]
    return [e1, e2], annotations


def test_report_lists_every_entry_with_its_disposition() -> None:
    entries, annotations = _board()
    report = msgspec.json.decode(
        report_from_board(_definition(annotations), entries), type=CommentReport
    )
    assert [(c.status, c.reason, c.disposition) for c in report.comments] == [
        ("published", "", "accepted"),
        ("rejected", "personal_data", ""),
    ]
    assert report.comments[1].text is None
    assert report.by_disposition == {"accepted": 1, "rejected: personal_data": 1}
    assert report.average_rating == "4.00"
    assert "&lt;script&gt;" in render_html(report)
    assert "<script>" not in render_html(report)
    assert "8-900" not in render_csv(report)


def test_unannotated_entry_still_appears_as_pending() -> None:
    entries, annotations = _board()
    report = msgspec.json.decode(
        report_from_board(_definition(annotations[:1]), entries), type=CommentReport
    )
    assert [c.status for c in report.comments] == ["published", "pending"]


def test_comment_not_in_the_log_is_refused() -> None:
    entries, annotations = _board()
    with pytest.raises(ReportError, match="not in the log"):
        report_from_board(_definition(annotations), entries[:1])


def test_altered_published_text_is_refused() -> None:
    entries, annotations = _board()
    annotations[0] = msgspec.structs.replace(annotations[0], text="другой текст")
    with pytest.raises(ReportError, match="commitment"):
        report_from_board(_definition(annotations), entries)


def test_text_of_a_rejected_comment_is_refused() -> None:
    entries, annotations = _board()
    annotations[1] = msgspec.structs.replace(annotations[1], text="Телефон 8-900")
    with pytest.raises(ReportError, match="unpublished"):
        report_from_board(_definition(annotations), entries)


def test_entry_of_another_period_is_refused() -> None:
    entries, annotations = _board()
    other, _ = make_entry(
        period="cp-2",
        draft="d",
        draft_version=1,
        section="",
        stance=Stance.SUPPORT,
        text="x",
        proposed_wording="",
    )
    with pytest.raises(ReportError, match="belongs to period"):
        report_from_board(_definition(annotations), [*entries, other])


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t=", "\r="])
def test_a_cell_a_spreadsheet_would_run_as_a_formula_is_quoted_in_the_csv(start: str) -> None:
    text = start + 'HYPERLINK("http://evil.example","x")'
    entry, salt, digest = _entry(text)
    annotation = Annotation(
        entry_hash=digest,
        status="published",
        text=text,
        proposed_wording="",
        salt=salt,
        disposition="noted",
        justification=start + "1+1",
    )
    report = msgspec.json.decode(
        report_from_board(_definition([annotation]), [entry]), type=CommentReport
    )
    rows = list(csv.reader(io.StringIO(render_csv(report))))
    assert rows[1][rows[0].index("text")] == "'" + text
    assert rows[1][rows[0].index("justification")] == "'" + start + "1+1"
