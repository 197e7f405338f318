"""The report (сводка предложений), computed from the board alone: pure code.

The certified results of a comment period are the report JSON made by
:func:`report_from_board` from two inputs that are both on the board:

* the **entries** of the log (covered by the final signed checkpoint), and
* the **definition** (board header): the period's identity and, once the report is
  published, one :class:`Annotation` per comment, keyed by entry hash, carrying what the log
  cannot know: moderation status and reason, the response, the rating, and for published
  comments the text with the salt that opens the entry's commitment.

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
from shared.comment_period.entry import CommentEntry, opens
from shared.ledger.merkle import leaf_hash

__all__ = (
    "DEFINITION_FORMAT",
    "REPORT_FORMAT",
    "Annotation",
    "CommentReport",
    "PeriodDefinition",
    "ReportComment",
    "ReportError",
    "render_csv",
    "render_html",
    "report_from_board",
)

DEFINITION_FORMAT = "vmeste-comment-period/v1"
REPORT_FORMAT = "vmeste-comment-report/v1"


class ReportError(ValueError):
    """The annotations and the log entries do not agree."""


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


class PeriodDefinition(msgspec.Struct, frozen=True, kw_only=True):
    format: str = DEFINITION_FORMAT
    period: str
    draft: str
    organisation: str
    title: str
    kind: str
    starts_at: str
    ends_at: str
    annotations: tuple[Annotation, ...] = ()


class ReportComment(msgspec.Struct, frozen=True, kw_only=True):
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


class CommentReport(msgspec.Struct, frozen=True, kw_only=True):
    format: str = REPORT_FORMAT
    period: str
    draft: str
    organisation: str
    title: str
    kind: str
    starts_at: str
    ends_at: str
    log_size: int
    comments: tuple[ReportComment, ...]
    by_section: dict[str, int]
    by_stance: dict[str, int]
    by_disposition: dict[str, int]
    ratings: int
    rating_sum: int
    average_rating: str
    """Two decimals, "" when nobody rated; integers above are exact."""


def _disposition_key(a: Annotation) -> str:
    if a.status == "rejected":
        return f"rejected: {a.reason}"
    return a.disposition or "no response"


def _average(total: int, count: int) -> str:
    if not count:
        return ""
    hundredths = (total * 200 + count) // (2 * count)
    return f"{hundredths // 100}.{hundredths % 100:02d}"


def report_from_board(definition: bytes, entries: Sequence[bytes]) -> bytes:
    """The canonical report bytes from the board's definition and entries (the audit hook)."""
    d = msgspec.json.decode(definition, type=PeriodDefinition)
    annotations: dict[str, Annotation] = {}
    for a in d.annotations:
        if a.entry_hash in annotations:
            raise ReportError(f"two annotations for entry {a.entry_hash}")
        annotations[a.entry_hash] = a
    comments = []
    for index, raw in enumerate(entries):
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
        comments.append(
            ReportComment(
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
            )
        )
    if annotations:
        raise ReportError(f"{len(annotations)} annotated comments are not in the log")
    rated = [c.rating for c in comments if c.rating is not None]
    by_disposition = Counter(
        _disposition_key(
            Annotation(entry_hash="", status=c.status, reason=c.reason, disposition=c.disposition)
        )
        for c in comments
    )
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
        by_disposition=dict(by_disposition),
        ratings=len(rated),
        rating_sum=sum(rated),
        average_rating=_average(sum(rated), len(rated)),
    )
    return canonical_bytes(report)


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
            f"<td>{wording}</td><td>{e(_outcome(c))}</td><td>{e(c.justification)}</td>"
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
