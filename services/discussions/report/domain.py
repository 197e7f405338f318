"""Publishing the report: close the books, certify the report against the final checkpoint."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from services.discussions.comment_periods.domain import CommentPeriodsService, period_not_found
from services.discussions.comment_periods.schemas import CommentPeriodStatus
from services.discussions.comment_periods.store import Row
from services.discussions.comments.store import CommentStore
from services.discussions.drafts.store import DraftStore
from services.discussions.errors import ConflictError, ForbiddenError, NotFoundError
from services.discussions.outbox.store import OutboxStore
from services.discussions.responses.schemas import EarlierResponseView
from services.discussions.responses.store import ResponseStore
from shared.canonical import canonical_bytes
from shared.comment_period.report import (
    DEFINITION_FORMAT_V2,
    Annotation,
    CommentPeriodDefinition,
    CommentReport,
    EarlierResponse,
    report_from_board,
)
from shared.log.board import BoardCertificate
from shared.log.http import LogDescription
from shared.log.service import LogService, QuorumPendingError

__all__ = ("PublishedReport", "ReportService", "annotation")

LOG_KIND = "comment-period"


@dataclass(frozen=True, slots=True)
class PublishedReport:
    report: bytes
    """Canonical JSON, exactly the certified bytes."""
    certificate: str
    """Signed certificate note binding the report's SHA-256 to the final checkpoint."""


def _iso(value: object) -> str:
    assert isinstance(value, dt.datetime)
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class ReportService:
    def __init__(
        self,
        periods: CommentPeriodsService,
        logs: LogService,
        comment_store: CommentStore | None = None,
        draft_store: DraftStore | None = None,
        response_store: ResponseStore | None = None,
        outbox: OutboxStore | None = None,
    ) -> None:
        self.periods = periods
        self.logs = logs
        self.comment_store = comment_store or CommentStore()
        self.draft_store = draft_store or DraftStore()
        self.response_store = response_store or ResponseStore()
        self.outbox = outbox or OutboxStore()

    async def _definition(self, period: Row, annotations: tuple[Annotation, ...] = ()) -> bytes:
        draft = await self.draft_store.get(period["draft"])
        assert draft is not None
        return canonical_bytes(
            CommentPeriodDefinition(
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
        rows = await self.comment_store.for_report(period_id)
        corrected = await self.response_store.earlier([r["id"] for r in rows if r["disposition"]])
        return tuple(
            sorted(
                (annotation(r, corrected.get(r["id"], ())) for r in rows),
                key=lambda a: a.entry_hash,
            )
        )

    async def _turnout(self, period_id: str) -> int:
        """What the service counts apart from the log: its comments and logged ratings."""
        comments = await self.comment_store.count(period_id)
        ratings = await self.comment_store.count(period_id, logged_ratings=True)
        return comments + ratings

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
        if period["status"] != CommentPeriodStatus.CLOSED:
            raise ConflictError(
                "period-not-closed",
                "The period is not closed",
                f"The report is published once the period has closed (it is {period['status']}).",
            )
        if await self.comment_store.has_pending(period_id):
            raise ConflictError(
                "moderation-incomplete",
                "Comments await moderation",
                "Publish or reject every comment before publishing the report.",
            )
        # Counted before the entries are read: a rating committed in between makes the count
        # taken again at the end differ, and publishing goes round again.
        turnout = await self._turnout(period_id)
        await self.logs.integrate_now(period_id)
        entries = await self.logs.entries(period_id)
        annotations = await self._annotations(period_id)
        definition = await self._definition(period, annotations)
        report = report_from_board(definition, entries)
        try:
            certificate = await self.logs.certify(
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
        async with self.periods.store.transaction():
            updated = await self.periods.store.publish_report(
                period_id,
                definition=definition,
                report=report,
                certificate=certificate,
                now=now,
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
            await self.outbox.enqueue(
                "period.report_published",
                {
                    "period": period_id,
                    "draft": str(period["draft"]),
                    "authors": await self.comment_store.authors(period_id),
                },
                now,
            )
        return PublishedReport(report=report, certificate=certificate)

    async def published(self, period_id: str) -> tuple[CommentReport, PublishedReport]:
        row = await self.periods.store.get(period_id)
        if row is None:
            raise period_not_found()
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
        row = await self.periods.store.get(log_id)
        if row is None or row["status"] in (
            CommentPeriodStatus.DRAFT,
            CommentPeriodStatus.ANNOUNCED,
        ):
            return None
        if row["report"] is None:
            return LogDescription(kind=LOG_KIND, definition=await self._definition(row))
        return LogDescription(
            kind=LOG_KIND,
            definition=bytes(row["definition"]),
            certificate=BoardCertificate(str(row["certificate"]), bytes(row["report"])),
        )


def annotation(row: Row, corrected: Sequence[EarlierResponseView]) -> Annotation:
    """What the report says of one comment: a rejected one keeps only its reason, a published
    one its text and the salt that opens its entry's commitment."""
    published = row["status"] == "published"
    return Annotation(
        entry_hash=bytes(row["entry_hash"]).hex(),
        status=str(row["status"]),
        reason=str(row["reject_reason"]),
        text=str(row["text"]) if published else None,
        proposed_wording=str(row["proposed_wording"]) if published else None,
        salt=bytes(row["salt"]) if published else None,
        disposition=str(row["disposition"]),
        justification=str(row["justification"]),
        # A logged rating is counted from its log entry; only one given before ratings
        # entered the log is stated here.
        rating=row["rating"] if row["rating_entry_hash"] is None else None,
        responded_at=_iso(row["responded_at"]) if row["responded_at"] else "",
        earlier_responses=tuple(
            EarlierResponse(
                disposition=e.disposition,
                justification=e.justification,
                responded_at=_iso(e.responded_at),
                corrected_at=_iso(e.corrected_at),
            )
            for e in corrected
        ),
    )
