"""The report (сводка предложений), computed from the board alone: pure code.

The certified results of a comment period are the report JSON made by
:func:`report_from_board` from two inputs that are both on the board:

* the **entries** of the log (covered by the final signed checkpoint), and
* the **definition** (board header): the period's identity and, once the report is
  published, one :class:`Annotation` per comment, keyed by entry hash, carrying what the log
  cannot know: moderation status and reason, the response (and, from version 2, the
  responses it corrected), and for published comments the text with the salt that opens the
  entry's commitment.

From definition version 2 the log also holds the authors' **ratings** of responses (entries
``vmeste-rating/v1``), so the ratings and their average are recomputed from the log: a rating
must name an answered comment of the log (anywhere in it: the integrator orders each batch by
leaf hash) and come once. A version 1 definition (boards certified
before) gives the version 1 report, byte for byte, with its ratings from the annotations.

The report lists the entries in leaf order, each exactly once; an annotation naming no entry
of the log, or two annotations for one entry, or a published text that does not open its
entry's commitment, makes the function raise. So ``vmeste audit`` with this hook proves that
every comment in the log appears in the report with its disposition and that none was added
or altered; the certificate binds the report's SHA-256 to the final checkpoint. The service
publishes exactly the bytes this function returns.
"""

from __future__ import annotations

import csv
import html
import io
from collections import Counter
from collections.abc import Sequence

import msgspec

from shared.canonical import canonical_bytes
from shared.comment_period.entry import CommentEntry, RatingEntry, is_rating, opens
from shared.log.merkle import leaf_hash

__all__ = (
    "DEFINITION_FORMAT",
    "DEFINITION_FORMAT_V2",
    "REPORT_FORMAT",
    "REPORT_FORMAT_V2",
    "Annotation",
    "CommentPeriodDefinition",
    "CommentReport",
    "CommentReportV1",
    "EarlierResponse",
    "ReportComment",
    "ReportCommentV1",
    "ReportError",
    "render_csv",
    "render_html",
    "report_from_board",
)

DEFINITION_FORMAT = "vmeste-comment-period/v1"
DEFINITION_FORMAT_V2 = "vmeste-comment-period/v2"
REPORT_FORMAT = "vmeste-comment-report/v1"
REPORT_FORMAT_V2 = "vmeste-comment-report/v2"


class ReportError(ValueError):
    """The annotations and the log entries do not agree."""


class EarlierResponse(msgspec.Struct, frozen=True, kw_only=True):
    """A response the official later corrected: its text stays in the report."""

    disposition: str
    justification: str
    responded_at: str
    """When this text was given, UTC, YYYY-MM-DDTHH:MM:SSZ."""
    corrected_at: str
    """When the next text replaced it."""


class Annotation(msgspec.Struct, frozen=True, kw_only=True):
    entry_hash: str
    status: str
    """published, rejected or pending."""
    reason: str = ""
    text: str | None = None
    proposed_wording: str | None = None
    salt: bytes | None = None
    disposition: str = ""
    justification: str = ""
    rating: int | None = None
    """In definition v2, only a rating given before ratings entered the log."""
    responded_at: str = ""
    """Definition v2: when the current response was given (or last corrected)."""
    earlier_responses: tuple[EarlierResponse, ...] = ()
    """Definition v2: the responses this one corrected, oldest first."""


class CommentPeriodDefinition(msgspec.Struct, frozen=True, kw_only=True):
    format: str = DEFINITION_FORMAT
    period: str
    draft: str
    organisation: str
    title: str
    kind: str
    starts_at: str
    ends_at: str
    annotations: tuple[Annotation, ...] = ()


class ReportCommentV1(msgspec.Struct, frozen=True, kw_only=True):
    """A comment in a version 1 report (definition v1): kept so old boards still verify."""

    index: int
    entry_hash: str
    draft_version: int
    section: str
    stance: str
    status: str
    reason: str
    text: str | None
    proposed_wording: str | None
    salt: bytes | None
    disposition: str
    justification: str
    rating: int | None


class ReportComment(ReportCommentV1, frozen=True, kw_only=True):
    """A comment in a version 2 report; reading a version 1 report leaves the defaults."""

    responded_at: str = ""
    earlier_responses: tuple[EarlierResponse, ...] = ()
    rating_entry: int | None = None
    """Leaf index of the rating's log entry; None if unrated or rated before ratings were
    logged (then the rating comes from the definition)."""


class CommentReportV1(msgspec.Struct, frozen=True, kw_only=True):
    """The version 1 report, exactly as certified before version 2."""

    format: str = REPORT_FORMAT
    period: str
    draft: str
    organisation: str
    title: str
    kind: str
    starts_at: str
    ends_at: str
    log_size: int
    comments: tuple[ReportCommentV1, ...]
    by_section: dict[str, int]
    by_stance: dict[str, int]
    by_disposition: dict[str, int]
    ratings: int
    rating_sum: int
    average_rating: str
    """Two decimals, "" when nobody rated; integers above are exact."""


class CommentReport(CommentReportV1, frozen=True, kw_only=True):
    """The report, version 2 (reads version 1 too, with the new members at their defaults).

    A redefined member keeps its place in the encoding: version 1's members in their order,
    then the new ones."""

    format: str = REPORT_FORMAT_V2
    comments: tuple[ReportComment, ...]
    comment_entries: int = 0
    rating_entries: int = 0
    """Ratings the log holds (the rest of ``ratings`` predate logged ratings)."""


def _disposition_key(status: str, reason: str, disposition: str) -> str:
    if status == "rejected":
        return f"rejected: {reason}"
    return disposition or "no response"


def _average(total: int, count: int) -> str:
    if not count:
        return ""
    hundredths = (total * 200 + count) // (2 * count)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def _annotations_by_hash(d: CommentPeriodDefinition) -> dict[str, Annotation]:
    annotations: dict[str, Annotation] = {}
    for a in d.annotations:
        if a.entry_hash in annotations:
            raise ReportError(f"two annotations for entry {a.entry_hash}")
        annotations[a.entry_hash] = a
    return annotations


def _comment(
    index: int, raw: bytes, d: CommentPeriodDefinition, annotations: dict[str, Annotation], v2: bool
) -> ReportComment:
    entry = msgspec.json.decode(raw, type=CommentEntry)
    if entry.period != d.period:
        raise ReportError(f"entry {index} belongs to period {entry.period!r}")
    digest = leaf_hash(raw).hex()
    a = (
        annotations.pop(digest)
        if digest in annotations
        else Annotation(entry_hash=digest, status="pending")
    )
    published = a.status == "published"
    if published and (
        a.salt is None
        or a.text is None
        or a.proposed_wording is None
        or not opens(entry, a.salt, a.text, a.proposed_wording)
    ):
        raise ReportError(f"entry {index}: published text does not open its commitment")
    if not published and (a.text is not None or a.salt is not None):
        raise ReportError(f"entry {index}: text of an unpublished comment in the report")
    return ReportComment(
        index=index,
        entry_hash=digest,
        draft_version=entry.draft_version,
        section=entry.section,
        stance=entry.stance,
        status=a.status,
        reason=a.reason,
        text=a.text,
        proposed_wording=a.proposed_wording,
        salt=a.salt,
        disposition=a.disposition,
        justification=a.justification,
        rating=a.rating,
        responded_at=a.responded_at if v2 else "",
        earlier_responses=a.earlier_responses if v2 else (),
    )


def _check_rating(
    index: int, rating: RatingEntry, d: CommentPeriodDefinition, comment: ReportComment | None
) -> None:
    """A rating entry must rate an answered comment of the period's log, once, 1 to 5."""
    if rating.period != d.period:
        raise ReportError(f"entry {index} belongs to period {rating.period!r}")
    if comment is None:
        raise ReportError(f"entry {index} rates {rating.comment}, no comment of the log")
    if not 1 <= rating.rating <= 5:
        raise ReportError(f"entry {index}: a rating of {rating.rating}, not 1 to 5")
    if comment.rating_entry is not None or comment.rating is not None:
        raise ReportError(f"entry {index}: comment {comment.index} is rated twice")
    if comment.status != "published" or not comment.disposition:
        raise ReportError(f"entry {index} rates comment {comment.index}, which has no response")


def report_from_board(definition: bytes, entries: Sequence[bytes]) -> bytes:
    """The canonical report bytes from the board's definition and entries (the audit hook).

    A version 2 definition gives a version 2 report, whose ratings are the log's rating
    entries; any other gives the version 1 report, byte for byte as before, and refuses
    rating entries."""
    d = msgspec.json.decode(definition, type=CommentPeriodDefinition)
    v2 = d.format == DEFINITION_FORMAT_V2
    annotations = _annotations_by_hash(d)
    comments: list[ReportComment] = []
    position: dict[str, int] = {}
    ratings: list[tuple[int, RatingEntry]] = []
    for index, raw in enumerate(entries):
        if is_rating(raw):
            if not v2:
                raise ReportError(
                    f"entry {index} is a rating, which a {d.format} definition cannot carry"
                )
            ratings.append((index, msgspec.json.decode(raw, type=RatingEntry)))
            continue
        comment = _comment(index, raw, d, annotations, v2)
        position[comment.entry_hash] = len(comments)
        comments.append(comment)
    # The integrator orders each batch by leaf hash, so a rating may precede its comment.
    for index, rating in ratings:
        at = position.get(rating.comment)
        _check_rating(index, rating, d, comments[at] if at is not None else None)
        assert at is not None
        comments[at] = msgspec.structs.replace(
            comments[at], rating=rating.rating, rating_entry=index
        )
    if annotations:
        raise ReportError(f"{len(annotations)} annotated comments are not in the log")
    rated = [c.rating for c in comments if c.rating is not None]
    report = CommentReport(
        period=d.period,
        draft=d.draft,
        organisation=d.organisation,
        title=d.title,
        kind=d.kind,
        starts_at=d.starts_at,
        ends_at=d.ends_at,
        log_size=len(entries),
        comments=tuple(comments),
        by_section=dict(Counter(c.section or "(whole draft)" for c in comments)),
        by_stance=dict(Counter(c.stance for c in comments)),
        by_disposition=dict(
            Counter(_disposition_key(c.status, c.reason, c.disposition) for c in comments)
        ),
        ratings=len(rated),
        rating_sum=sum(rated),
        average_rating=_average(sum(rated), len(rated)),
        comment_entries=len(comments),
        rating_entries=len(ratings),
    )
    return canonical_bytes(report if v2 else _as_v1(report))


def _as_v1(report: CommentReport) -> CommentReportV1:
    def only(struct: msgspec.Struct, kind: type[msgspec.Struct]) -> dict[str, object]:
        return {name: getattr(struct, name) for name in kind.__struct_fields__}

    fields = only(report, CommentReportV1)
    fields["format"] = REPORT_FORMAT
    fields["comments"] = tuple(
        ReportCommentV1(**only(c, ReportCommentV1))  # type: ignore[arg-type]
        for c in report.comments
    )
    return CommentReportV1(**fields)  # type: ignore[arg-type]


_CSV_COLUMNS = (
    "index",
    "entry_hash",
    "draft_version",
    "section",
    "stance",
    "status",
    "disposition",
    "justification",
    "rating",
    "text",
    "proposed_wording",
    "responded_at",
    "earlier_responses",
    "rating_entry",
)


def _earlier(c: ReportComment) -> str:
    """Corrected responses, oldest first: "given → corrected disposition: justification"."""
    return " | ".join(
        f"{e.responded_at} → {e.corrected_at} {e.disposition}: {e.justification}"
        for e in c.earlier_responses
    )


def _outcome(c: ReportComment) -> str:
    return f"rejected: {c.reason}" if c.status == "rejected" else c.disposition or c.status


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def render_csv(report: CommentReport) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_CSV_COLUMNS)
    for c in report.comments:
        # A leading = + - @ (or a tab or carriage return before one, which spreadsheets
        # strip) would make a spreadsheet run the cell as a formula.
        def cell(value: str | None) -> str:
            text = value or ""
            return "'" + text if text[:1] in _FORMULA_STARTS else text

        writer.writerow(
            [
                c.index,
                c.entry_hash,
                c.draft_version,
                c.section,
                c.stance,
                c.status,
                _outcome(c),
                cell(c.justification),
                "" if c.rating is None else c.rating,
                cell(c.text),
                cell(c.proposed_wording),
                c.responded_at,
                cell(_earlier(c)),
                "" if c.rating_entry is None else c.rating_entry,
            ]
        )
    return out.getvalue()


def _counts(title: str, counts: dict[str, int]) -> str:
    rows = "".join(
        f"<tr><th scope='row'>{html.escape(k)}</th><td>{v}</td></tr>"
        for k, v in sorted(counts.items())
    )
    return f"<table><caption>{html.escape(title)}</caption>{rows}</table>"


def render_html(report: CommentReport) -> str:
    """A self-contained page; every value from people is escaped."""
    e = html.escape
    rows = []
    for c in report.comments:
        text = e(c.text) if c.text is not None else "—"
        wording = e(c.proposed_wording or "")
        rows.append(
            f"<tr><td>{c.index}</td><td><code>{c.entry_hash[:16]}</code></td>"
            f"<td>{e(c.section or '—')}</td><td>{e(c.stance)}</td><td>{text}</td>"
            f"<td>{wording}</td><td>{e(_outcome(c))}</td><td>{e(c.justification)}"
            + "".join(
                f"<p><del>{e(x.disposition)}: {e(x.justification)}</del> "
                f"<small>({e(x.responded_at)}, исправлено {e(x.corrected_at)})</small></p>"
                for x in c.earlier_responses
            )
            + "</td>"
            f"<td>{'' if c.rating is None else c.rating}</td></tr>"
        )
    return (
        "<!doctype html><html lang='ru'><head><meta charset='utf-8'>"
        f"<title>Сводка предложений — {e(report.title)}</title></head><body>"
        f"<h1>Сводка предложений</h1><p>{e(report.kind)}: {e(report.title)}</p>"
        f"<p>Обсуждение {e(report.period)}, {e(report.starts_at)} — {e(report.ends_at)}; "
        f"записей в журнале: {report.log_size}; средняя оценка ответов: "
        f"{e(report.average_rating or '—')}</p>"
        + _counts("По пунктам", report.by_section)
        + _counts("По позициям", report.by_stance)
        + _counts("По решениям", report.by_disposition)
        + "<table><caption>Предложения</caption><thead><tr><th>№</th><th>Запись</th>"
        "<th>Пункт</th><th>Позиция</th><th>Текст</th><th>Редакция</th><th>Решение</th>"
        "<th>Обоснование</th><th>Оценка</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )
