"""Publishing the report: close the books, certify the report against the final checkpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import msgspec

from services.discussions.comments.tables import Comment
from services.discussions.db import write_transaction
from services.discussions.drafts.tables import Draft
from services.discussions.errors import ConflictError, ForbiddenError, NotFoundError
from services.discussions.outbox.domain import enqueue
from services.discussions.periods.domain import PeriodsService, PeriodStatus
from services.discussions.periods.tables import Period
from services.discussions.responses.history import earlier_responses
from shared.canonical import canonical_bytes
from shared.comment_period.report import (
    DEFINITION_FORMAT_V2,
    Annotation,
    CommentReport,
    EarlierResponse,
    PeriodDefinition,
    report_from_board,
)
from shared.ledger.board import BoardCertificate
from shared.ledger.http import LogDescription
from shared.ledger.service import LogService, QuorumPendingError

__all__ = ("PublishedReport", "ReportService")

LOG_KIND = "comment-period"


class PublishedReport(msgspec.Struct, kw_only=True):
    report: bytes
    """Canonical JSON, exactly the certified bytes."""
    certificate: str
    """Signed certificate note binding the report's SHA-256 to the final checkpoint."""


def _iso(value: object) -> str:
    assert isinstance(value, dt.datetime)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ReportService:
    def __init__(self, periods: PeriodsService, ledger: LogService) -> None:
        self.periods = periods
        self.ledger = ledger

    async def _definition(
        self, period: dict[str, object], annotations: tuple[Annotation, ...] = ()
    ) -> bytes:
        draft = (
            await Draft.select(Draft.title, Draft.kind).where(Draft.id == period["draft"]).first()
        )
        assert draft is not None
        return canonical_bytes(
            PeriodDefinition(
                format=DEFINITION_FORMAT_V2,
                period=str(period["id"]),
                draft=str(period["draft"]),
                organisation=str(period["organisation"]),
                title=str(draft["title"]),
                kind=str(draft["kind"]),
                starts_at=_iso(period["starts_at"]),
                ends_at=_iso(period["ends_at"]),
                annotations=annotations,
            )
        )

    async def _annotations(self, period_id: str) -> tuple[Annotation, ...]:
        rows = await Comment.select(
            Comment.id,
            Comment.entry_hash,
            Comment.status,
            Comment.reject_reason,
            Comment.text,
            Comment.proposed_wording,
            Comment.salt,
            Comment.disposition,
            Comment.justification,
            Comment.responded_at,
            Comment.rating,
            Comment.rating_entry_hash,
        ).where(Comment.period == period_id)
        corrected = await earlier_responses([r["id"] for r in rows if r["disposition"]])
        annotations = []
        for r in rows:
            published = r["status"] == "published"
            annotations.append(
                Annotation(
                    entry_hash=bytes(r["entry_hash"]).hex(),
                    status=str(r["status"]),
                    reason=str(r["reject_reason"]),
                    text=str(r["text"]) if published else None,
                    proposed_wording=str(r["proposed_wording"]) if published else None,
                    salt=bytes(r["salt"]) if published else None,
                    disposition=str(r["disposition"]),
                    justification=str(r["justification"]),
                    # A logged rating is counted from its log entry; only one given before
                    # ratings entered the log is stated here.
                    rating=r["rating"] if r["rating_entry_hash"] is None else None,
                    responded_at=_iso(r["responded_at"]) if r["responded_at"] else "",
                    earlier_responses=tuple(
                        EarlierResponse(
                            disposition=e.disposition,
                            justification=e.justification,
                            responded_at=_iso(e.responded_at),
                            corrected_at=_iso(e.corrected_at),
                        )
                        for e in corrected.get(r["id"], ())
                    ),
                )
            )
        return tuple(sorted(annotations, key=lambda a: a.entry_hash))

    @staticmethod
    async def _turnout(period_id: str) -> int:
        """What the service counts apart from the log: its comments and logged ratings."""
        comments = await Comment.count().where(Comment.period == period_id)
        ratings = await Comment.count().where(
            (Comment.period == period_id) & Comment.rating_entry_hash.is_not_null()
        )
        return int(comments) + int(ratings)

    async def publish(
        self, period_id: str, *, allowed: Sequence[str], now: dt.datetime
    ) -> PublishedReport:
        """Certify and publish the report of a closed period whose moderation is done."""
        period = await self.periods.row(period_id)
        if period["organisation"] not in allowed:
            raise ForbiddenError(
                "not-your-period",
                "Not your organisation's comment period",
                "This needs discussions:manage for the period's organisation.",
            )
        if period["status"] != PeriodStatus.CLOSED:
            raise ConflictError(
                "period-not-closed",
                "The period is not closed",
                f"The report is published once the period has closed (it is {period['status']}).",
            )
        if await Comment.exists().where(
            (Comment.period == period_id) & (Comment.status == "pending")
        ):
            raise ConflictError(
                "moderation-incomplete",
                "Comments await moderation",
                "Publish or reject every comment before publishing the report.",
            )
        # Counted before the entries are read: a rating committed in between makes the count
        # taken again at the end differ, and publishing goes round again.
        turnout = await self._turnout(period_id)
        await self.ledger.integrate_now(period_id)
        entries = await self.ledger.entries(period_id)
        annotations = await self._annotations(period_id)
        definition = await self._definition(period, annotations)
        report = report_from_board(definition, entries)
        try:
            certificate = await self.ledger.certify(
                period_id,
                report,
                now,
                definition=definition,
                turnout=turnout,
            )
        except QuorumPendingError as exc:
            raise ConflictError(
                "witnesses-pending",
                "Witnesses have not cosigned yet",
                f"The period's final checkpoint has {exc.have} of the {exc.need} witness "
                "cosignatures a report needs. Publish again in a minute; if it stays so, "
                "check that the witnesses are reachable.",
            ) from None
        # Raters and correctors share-lock the period's row; once this update holds it no
        # rating or correction lands, and one that landed since the annotations were read
        # sends the publisher round again.
        async with write_transaction(Period):
            updated = (
                await Period.update(
                    {
                        Period.status: PeriodStatus.REPORT_PUBLISHED.value,
                        Period.definition: definition,
                        Period.report: report,
                        Period.certificate: certificate,
                        Period.report_published_at: now,
                    }
                )
                .where((Period.id == period_id) & (Period.status == PeriodStatus.CLOSED.value))
                .returning(Period.id)
            )
            if not updated:
                raise ConflictError(
                    "report-published", "Already published", "Fetch the report instead."
                )
            # A logged rating changes the entries, not the annotations: the count of what the
            # log must hold tells it.
            if (
                await self._annotations(period_id) != annotations
                or await self._turnout(period_id) != turnout
            ):
                raise ConflictError(
                    "report-changed",
                    "A rating or correction arrived while the report was made",
                    "Publish again: the report will include it.",
                )
            # Everyone who commented is told, in the transaction that publishes.
            authors = (
                await Comment.select(Comment.author).where(Comment.period == period_id).distinct()
            )
            await enqueue(
                "period.report_published",
                {
                    "period": period_id,
                    "draft": str(period["draft"]),
                    "authors": sorted({str(a["author"]) for a in authors}),
                },
                now,
            )
        return PublishedReport(report=report, certificate=certificate)

    async def published(self, period_id: str) -> tuple[CommentReport, PublishedReport]:
        row = (
            await Period.select(Period.report, Period.certificate)
            .where(Period.id == period_id)
            .first()
        )
        if row is None:
            raise NotFoundError("period-not-found", "Comment period not found", "Check the id.")
        if row["report"] is None:
            raise NotFoundError(
                "report-not-published",
                "No report yet",
                "The report is published after the period closes and moderation ends.",
            )
        raw = bytes(row["report"])
        return msgspec.json.decode(raw, type=CommentReport), PublishedReport(
            report=raw, certificate=str(row["certificate"])
        )

    async def describe(self, log_id: str) -> LogDescription | None:
        """What the board says about a period's log (for the shared log endpoints)."""
        row = await Period.select().where(Period.id == log_id).first()
        if row is None or row["status"] in (PeriodStatus.DRAFT, PeriodStatus.ANNOUNCED):
            return None
        if row["report"] is None:
            return LogDescription(kind=LOG_KIND, definition=await self._definition(row))
        return LogDescription(
            kind=LOG_KIND,
            definition=bytes(row["definition"]),
            certificate=BoardCertificate(str(row["certificate"]), bytes(row["report"])),
        )
