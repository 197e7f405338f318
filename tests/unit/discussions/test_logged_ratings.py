"""Ratings of responses as log entries (definition and report version 2): the average is
recomputed from the log; a version 1 board gives its version 1 report byte for byte."""

from __future__ import annotations

import csv
import hashlib
import io

import msgspec
import pytest

from shared.canonical import canonical_bytes
from shared.comment_period.entry import Stance, make_entry, make_rating_entry
from shared.comment_period.report import (
    DEFINITION_FORMAT_V2,
    REPORT_FORMAT,
    REPORT_FORMAT_V2,
    Annotation,
    CommentPeriodDefinition,
    CommentReport,
    EarlierResponse,
    ReportError,
    render_csv,
    render_html,
    report_from_board,
)
from shared.log.merkle import leaf_hash

PERIOD = "cp-1"

# A version 1 board made by the code that certified reports before ratings entered the log.
V1_ENTRIES = [
    b'{"format":"vmeste-comment/v1","period":"cp-1","draft":"d","draft_version":1,'
    b'"section":"p1","stance":"object","content":"lTro3H5WD8glTVEJBgnjxS50srA1k+66I+SF9za7Uk8=",'
    b'"nonce":"EBESExQVFhcYGRobHB0eHw=="}',
    b'{"format":"vmeste-comment/v1","period":"cp-1","draft":"d","draft_version":2,'
    b'"section":"","stance":"support","content":"v8YpHaHEFJVsSSRizeRwc0/WRLAe/TOSt1FG36L6OUs=",'
    b'"nonce":"AAAAAAAAAAAAAAAAAAAAAA=="}',
]
V1_DEFINITION = (
    b'{"format":"vmeste-comment-period/v1","period":"cp-1","draft":"d","organisation":"kazan",'
    b'"title":"T","kind":"decision","starts_at":"2026-01-01T00:00:00Z",'
    b'"ends_at":"2026-02-01T00:00:00Z","annotations":[{"entry_hash":'
    b'"3edb65e731bca70c117e0ac9bfb1c8e9f3bb923497e375b93c92dcf6e2da6f46","status":"published",'
    b'"reason":"","text":"Keep the square.","proposed_wording":"",'
    b'"salt":"AAECAwQFBgcICQoLDA0ODw==","disposition":"accepted","justification":"ok",'
    b'"rating":4},{"entry_hash":"5eb0185ad4cdf70e937cdb0d92f4fe25ce92558b133429d9f20c39c7db3b9ba6",'
    b'"status":"rejected","reason":"spam","text":null,"proposed_wording":null,"salt":null,'
    b'"disposition":"","justification":"","rating":null}]}'
)
V1_REPORT_SHA256 = "ffd3edaa7f6992c40620820a5a2ef9a49565f70a5f7513c9bc457aec47fac11a"


def test_a_version_1_board_gives_the_same_report_bytes_as_before() -> None:
    report = report_from_board(V1_DEFINITION, V1_ENTRIES)
    assert hashlib.sha256(report).hexdigest() == V1_REPORT_SHA256
    decoded = msgspec.json.decode(report, type=CommentReport)
    assert decoded.format == REPORT_FORMAT
    assert decoded.average_rating == "4.00"
    assert decoded.rating_entries == 0
    assert b"rating_entry" not in report


def test_a_version_1_board_carrying_a_rating_entry_is_refused() -> None:
    rating = make_rating_entry(period=PERIOD, comment_hash=leaf_hash(V1_ENTRIES[0]), rating=5)
    with pytest.raises(ReportError, match="rating"):
        report_from_board(V1_DEFINITION, [*V1_ENTRIES, rating])


def _comment(text: str) -> tuple[bytes, Annotation]:
    entry, salt = make_entry(
        period=PERIOD,
        draft="d",
        draft_version=1,
        section="",
        stance=Stance.OBJECT,
        text=text,
        proposed_wording="",
    )
    return entry, Annotation(
        entry_hash=leaf_hash(entry).hex(),
        status="published",
        text=text,
        proposed_wording="",
        salt=salt,
        disposition="accepted",
        justification="Учтено.",
        responded_at="2026-01-20T10:00:00Z",
    )


def _definition(annotations: list[Annotation]) -> bytes:
    return canonical_bytes(
        CommentPeriodDefinition(
            format=DEFINITION_FORMAT_V2,
            period=PERIOD,
            draft="d",
            organisation="kazan",
            title="T",
            kind="решение",
            starts_at="2026-01-01T00:00:00Z",
            ends_at="2026-02-01T00:00:00Z",
            annotations=tuple(sorted(annotations, key=lambda a: a.entry_hash)),
        )
    )


def _rating(entry: bytes, value: int) -> bytes:
    return make_rating_entry(period=PERIOD, comment_hash=leaf_hash(entry), rating=value)


def _rated_board() -> tuple[list[bytes], list[Annotation]]:
    (e1, a1), (e2, a2), (e3, a3) = (_comment(t) for t in ("Один.", "Два.", "Три."))
    earlier = EarlierResponse(
        disposition="rejected",
        justification="Первый ответ.",
        responded_at="2026-01-10T09:00:00Z",
        corrected_at="2026-01-20T10:00:00Z",
    )
    a2 = msgspec.structs.replace(a2, earlier_responses=(earlier,))
    return [e1, e2, _rating(e1, 5), e3, _rating(e2, 2)], [a1, a2, a3]


def test_a_rating_integrated_before_its_comment_counts() -> None:
    entries, annotations = _rated_board()
    entries.insert(0, entries.pop(2))
    report = msgspec.json.decode(
        report_from_board(_definition(annotations), entries), type=CommentReport
    )
    assert (report.comments[0].rating, report.comments[0].rating_entry) == (5, 0)
    assert report.average_rating == "3.50"


def test_ratings_are_counted_from_the_log() -> None:
    entries, annotations = _rated_board()
    report = msgspec.json.decode(
        report_from_board(_definition(annotations), entries), type=CommentReport
    )
    assert report.format == REPORT_FORMAT_V2
    assert (report.log_size, report.comment_entries, report.rating_entries) == (5, 3, 2)
    assert [c.index for c in report.comments] == [0, 1, 3]
    assert [(c.rating, c.rating_entry) for c in report.comments] == [(5, 2), (2, 4), (None, None)]
    assert (report.ratings, report.rating_sum, report.average_rating) == (2, 7, "3.50")
    assert report.comments[1].earlier_responses[0].justification == "Первый ответ."
    assert report.comments[1].responded_at == "2026-01-20T10:00:00Z"
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert "Первый ответ." in rows[1]["earlier_responses"]
    assert rows[0]["rating_entry"] == "2"
    assert "<del>rejected: Первый ответ.</del>" in render_html(report)


def test_a_changed_rating_entry_changes_the_recomputed_report() -> None:
    entries, annotations = _rated_board()
    certified = report_from_board(_definition(annotations), entries)
    tampered = [*entries]
    tampered[2] = _rating(entries[0], 1)
    recomputed = report_from_board(_definition(annotations), tampered)
    assert hashlib.sha256(recomputed).digest() != hashlib.sha256(certified).digest()
    assert msgspec.json.decode(recomputed, type=CommentReport).average_rating == "1.50"


@pytest.mark.parametrize(
    ("why", "match"),
    [
        ("twice", "rated twice"),
        ("of no comment", "no comment of the log"),
        ("out of range", "not 1 to 5"),
        ("unanswered", "no response"),
        ("also in the definition", "rated twice"),
        ("another period", "belongs to period"),
    ],
)
def test_a_rating_the_report_cannot_take_is_refused(why: str, match: str) -> None:
    entries, annotations = _rated_board()
    e1, e3 = entries[0], entries[3]
    if why == "twice":
        entries.append(_rating(e1, 3))
    elif why == "of no comment":
        entries.insert(0, _rating(b"not an entry of the log", 3))
    elif why == "out of range":
        entries.append(_rating(e3, 6))
    elif why == "unanswered":
        annotations[2] = msgspec.structs.replace(annotations[2], disposition="")
        entries.append(_rating(e3, 3))
    elif why == "also in the definition":
        annotations[0] = msgspec.structs.replace(annotations[0], rating=5)
    else:
        entries.append(make_rating_entry(period="cp-2", comment_hash=leaf_hash(e3), rating=3))
    with pytest.raises(ReportError, match=match):
        report_from_board(_definition(annotations), entries)


def test_a_rating_given_before_ratings_were_logged_is_taken_from_the_definition() -> None:
    entries, annotations = _rated_board()
    annotations[2] = msgspec.structs.replace(annotations[2], rating=4)
    report = msgspec.json.decode(
        report_from_board(_definition(annotations), entries), type=CommentReport
    )
    assert (report.comments[2].rating, report.comments[2].rating_entry) == (4, None)
    assert (report.ratings, report.average_rating) == (3, "3.67")
