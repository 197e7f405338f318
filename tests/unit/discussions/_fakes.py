"""In-memory stand-ins for the discussions stores and the logs, so the domain's rules run
without a database. Each keeps rows as the real store returns them (columns by name)."""

from __future__ import annotations

import contextlib
import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import msgspec

from services.discussions.comment_periods.domain import CommentPeriodsService
from services.discussions.comment_periods.schemas import CommentPeriodStatus, ExtensionView
from services.discussions.comment_periods.store import CommentPeriodStore
from services.discussions.comments.domain import CommentsService
from services.discussions.comments.schemas import CommentFilters
from services.discussions.comments.store import CommentStore, Row
from services.discussions.drafts.domain import DraftsService
from services.discussions.drafts.importers import ParsedSection
from services.discussions.drafts.store import DraftStore
from services.discussions.moderation.domain import ModerationService
from services.discussions.outbox.store import OutboxStore
from services.discussions.pagination import Cursor
from services.discussions.report.domain import ReportService
from services.discussions.responses.domain import ResponsesService
from services.discussions.responses.schemas import EarlierResponseView
from services.discussions.responses.store import ResponseStore
from shared.identity.claims import Session
from shared.log.receipt import tracking_code
from shared.log.service import IssuedReceipt, LogService
from tests.unit.ui._session import session_of

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
ORG = "gorod"


def _no_transaction() -> Any:
    return contextlib.nullcontext()


class FakePeriodStore(CommentPeriodStore):
    def __init__(self) -> None:
        self.rows: dict[str, Row] = {}
        self.extension_log: list[Row] = []

    def transaction(self) -> Any:
        return _no_transaction()

    async def get(self, period_id: str) -> Row | None:
        row = self.rows.get(period_id)
        return None if row is None else dict(row)

    async def exists(self, period_id: str) -> bool:
        return period_id in self.rows

    async def view_row(self, period_id: str) -> Row | None:
        return await self.get(period_id)

    async def accepting_row(self, period_id: str) -> Row | None:
        return await self.get(period_id)

    async def insert(self, row: Row) -> None:
        self.rows[row["id"]] = {"opened_at": None, "closed_at": None, **row}

    async def set_dates(self, period_id: str, starts_at: dt.datetime, ends_at: dt.datetime) -> None:
        self.rows[period_id].update(starts_at=starts_at, ends_at=ends_at)

    async def set_status(self, period_id: str, status: CommentPeriodStatus) -> None:
        self.rows[period_id]["status"] = status.value

    async def extension_count(self, period_id: str) -> int:
        return sum(1 for e in self.extension_log if e["period"] == period_id)

    async def extend(self, period_id: str, extension: ExtensionView, decided_by: str) -> None:
        self.rows[period_id]["ends_at"] = extension.new_end
        self.extension_log.append(
            {"period": period_id, "decided_by": decided_by, **msgspec.structs.asdict(extension)}
        )

    async def extensions(self, period_id: str, limit: int) -> list[Row]:
        return [e for e in self.extension_log if e["period"] == period_id][:limit]

    async def ids_of_draft(self, draft_id: uuid.UUID) -> list[str]:
        return [k for k, r in self.rows.items() if r["draft"] == draft_id]

    async def reported(self, period_ids: Iterable[str]) -> set[str]:
        wanted = set(period_ids)
        return {
            k
            for k, r in self.rows.items()
            if k in wanted and r["status"] == CommentPeriodStatus.REPORT_PUBLISHED
        }

    async def accept_comments(self, period_id: str, count: int, now: dt.datetime) -> bool:
        row = self.rows[period_id]
        if row["status"] != CommentPeriodStatus.OPEN or row["ends_at"] <= now:
            return False
        row["comment_count"] += count
        return True

    async def shared_status(self, period_id: str) -> str | None:
        row = self.rows.get(period_id)
        return None if row is None else str(row["status"])

    async def due_to_open(self, now: dt.datetime) -> list[str]:
        return [
            k
            for k, r in self.rows.items()
            if r["status"] == CommentPeriodStatus.ANNOUNCED and r["starts_at"] <= now
        ]

    async def due_to_close(self, now: dt.datetime) -> list[str]:
        return [
            k
            for k, r in self.rows.items()
            if r["status"] == CommentPeriodStatus.OPEN and r["ends_at"] <= now
        ]

    async def open(self, period_id: str, now: dt.datetime) -> bool:
        row = self.rows[period_id]
        if row["status"] != CommentPeriodStatus.ANNOUNCED:
            return False
        row.update(status=CommentPeriodStatus.OPEN.value, opened_at=now)
        return True

    async def close(self, period_id: str, now: dt.datetime) -> bool:
        row = self.rows[period_id]
        if row["status"] != CommentPeriodStatus.OPEN or row["ends_at"] > now:
            return False
        row.update(status=CommentPeriodStatus.CLOSED.value, closed_at=now)
        return True

    async def publish_report(
        self,
        period_id: str,
        *,
        definition: bytes,
        report: bytes,
        certificate: str,
        now: dt.datetime,
    ) -> bool:
        row = self.rows[period_id]
        if row["status"] != CommentPeriodStatus.CLOSED:
            return False
        row.update(
            status=CommentPeriodStatus.REPORT_PUBLISHED.value,
            definition=definition,
            report=report,
            certificate=certificate,
            report_published_at=now,
        )
        return True


class FakeDraftStore(DraftStore):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Row] = {}
        self.anchor_sets: dict[tuple[uuid.UUID, int], set[str]] = {}

    def transaction(self) -> Any:
        return _no_transaction()

    async def get(self, draft_id: uuid.UUID) -> Row | None:
        row = self.rows.get(draft_id)
        return None if row is None else dict(row)

    async def insert(self, row: Row) -> None:
        self.rows[row["id"]] = dict(row)

    async def set_current_version(self, draft_id: uuid.UUID, number: int) -> None:
        self.rows[draft_id]["current_version"] = number

    async def insert_version(
        self,
        draft_id: uuid.UUID,
        *,
        number: int,
        note: str,
        sections: Sequence[ParsedSection],
        now: dt.datetime,
        by: str,
    ) -> None:
        self.anchor_sets[(draft_id, number)] = {s.anchor for s in sections}

    async def versions(self, draft_id: uuid.UUID) -> list[Row]:
        numbers = sorted(n for d, n in self.anchor_sets if d == draft_id)
        return [{"id": uuid.uuid5(draft_id, str(n)), "number": n} for n in numbers]

    async def sections(self, version_id: uuid.UUID) -> list[Row]:
        return [
            {"number": a, "anchor": a, "heading": a, "body": ""}
            for a in sorted(await self.anchors(version_id))
        ]

    async def attachments(self, draft_id: uuid.UUID) -> list[Row]:
        return []

    async def version_id(self, draft_id: uuid.UUID, number: int) -> uuid.UUID | None:
        if (draft_id, number) not in self.anchor_sets:
            return None
        return uuid.uuid5(draft_id, str(number))

    async def anchors(self, version_id: uuid.UUID) -> set[str]:
        for (draft_id, number), anchors in self.anchor_sets.items():
            if uuid.uuid5(draft_id, str(number)) == version_id:
                return anchors
        return set()

    async def current_anchors(self, draft_id: uuid.UUID) -> tuple[int, set[str]] | None:
        row = self.rows.get(draft_id)
        if row is None or (draft_id, row["current_version"]) not in self.anchor_sets:
            return None
        number = int(row["current_version"])
        return number, self.anchor_sets[(draft_id, number)]


class FakeCommentStore(CommentStore):
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, Row] = {}

    def transaction(self) -> Any:
        return _no_transaction()

    async def get(self, comment_id: uuid.UUID) -> Row | None:
        row = self.rows.get(comment_id)
        return None if row is None else dict(row)

    async def by_idempotency_key(self, period_id: str, key: str) -> Row | None:
        for row in self.rows.values():
            if row["period"] == period_id and row.get("idempotency_key") == key:
                return dict(row)
        return None

    async def insert(self, rows: Sequence[Row]) -> None:
        for row in rows:
            self.rows[row["id"]] = {
                "reject_reason": "",
                "disposition": "",
                "justification": "",
                "responded_at": None,
                "rating": None,
                "rating_entry_hash": None,
                **row,
            }

    async def published(
        self,
        period_id: str,
        filters: CommentFilters,
        after: Cursor | None,
        limit: int,
        *,
        words: str | None = None,
    ) -> list[Row]:
        return [
            dict(r)
            for r in self.rows.values()
            if r["period"] == period_id and r["status"] == "published"
        ][:limit]

    async def moderate(
        self, comment_id: uuid.UUID, *, status: str, reason: str, note: str, now: dt.datetime
    ) -> bool:
        row = self.rows[comment_id]
        if row["status"] != "pending":
            return False
        row.update(status=status, reject_reason=reason, moderator_note=note, moderated_at=now)
        return True

    async def respond(
        self,
        comment_id: uuid.UUID,
        *,
        disposition: str,
        justification: str,
        now: dt.datetime,
        first: bool,
    ) -> bool:
        row = self.rows[comment_id]
        if first and row["disposition"]:
            return False
        row.update(disposition=disposition, justification=justification, responded_at=now)
        return True

    async def for_rating(self, comment_id: uuid.UUID) -> Row | None:
        return await self.get(comment_id)

    async def rate(self, comment_id: uuid.UUID, rating: int, entry_hash: bytes) -> bool:
        row = self.rows[comment_id]
        if row["rating"] is not None:
            return False
        row.update(rating=rating, rating_entry_hash=entry_hash)
        return True

    async def for_report(self, period_id: str) -> list[Row]:
        return [dict(r) for r in self.rows.values() if r["period"] == period_id]

    async def count(self, period_id: str, *, logged_ratings: bool = False) -> int:
        rows = [r for r in self.rows.values() if r["period"] == period_id]
        if logged_ratings:
            rows = [r for r in rows if r["rating_entry_hash"] is not None]
        return len(rows)

    async def has_pending(self, period_id: str) -> bool:
        return any(
            r["period"] == period_id and r["status"] == "pending" for r in self.rows.values()
        )

    async def authors(self, period_id: str) -> list[str]:
        return sorted({r["author"] for r in self.rows.values() if r["period"] == period_id})


class FakeResponseStore(ResponseStore):
    def __init__(self) -> None:
        self.kept: dict[uuid.UUID, list[EarlierResponseView]] = {}

    async def keep_earlier(self, comment_id: uuid.UUID, earlier: EarlierResponseView) -> None:
        self.kept.setdefault(comment_id, []).append(earlier)

    async def earlier(
        self, comment_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[EarlierResponseView]]:
        return {c: self.kept[c] for c in comment_ids if c in self.kept}


class FakeOutboxStore(OutboxStore):
    def __init__(self) -> None:
        self.messages: list[tuple[str, dict[str, Any]]] = []

    async def enqueue(self, topic: str, payload: dict[str, Any], now: dt.datetime) -> uuid.UUID:
        self.messages.append((topic, payload))
        return uuid.uuid4()


class FakeLogs(LogService):
    """Records what the domain asks of the logs; entry hashes are numbered."""

    def __init__(self) -> None:
        self.appended: list[tuple[str, bytes]] = []
        self.opened: list[str] = []
        self.closed_logs: list[str] = []

    async def append(self, log_id: str, entry: bytes, now: dt.datetime) -> bytes:
        self.appended.append((log_id, entry))
        return len(self.appended).to_bytes(32, "big")

    async def append_many(
        self, log_id: str, entries: Sequence[bytes], now: dt.datetime
    ) -> list[bytes]:
        return [await self.append(log_id, entry, now) for entry in entries]

    async def open_log(self, log_id: str) -> None:
        self.opened.append(log_id)

    def issue_receipt(
        self, log_id: str, entry_hash: bytes, accepted_at: dt.datetime
    ) -> IssuedReceipt:
        return IssuedReceipt(
            note=f"receipt {log_id} {entry_hash.hex()}",
            tracking_code=tracking_code(entry_hash),
            entry_hash=entry_hash,
            accepted_at=accepted_at,
        )

    async def close_log(self, log_id: str) -> None:
        self.closed_logs.append(log_id)


def person(sub: str = "citizen-1") -> Session:
    """A signed-in participant with a confirmed account."""
    return msgspec.structs.replace(session_of("sid-" + sub), sub=sub)


@dataclass
class World:
    """Every service of the discussions domain over the same fake stores."""

    periods: FakePeriodStore
    drafts: FakeDraftStore
    comments: FakeCommentStore
    corrections: FakeResponseStore
    outbox: FakeOutboxStore
    logs: FakeLogs

    @classmethod
    def empty(cls) -> World:
        return cls(
            FakePeriodStore(),
            FakeDraftStore(),
            FakeCommentStore(),
            FakeResponseStore(),
            FakeOutboxStore(),
            FakeLogs(),
        )

    def drafts_service(self) -> DraftsService:
        return DraftsService(
            store=self.drafts, period_store=self.periods, comment_store=self.comments
        )

    def periods_service(self) -> CommentPeriodsService:
        return CommentPeriodsService(self.drafts_service(), self.logs, store=self.periods)

    def comments_service(self) -> CommentsService:
        return CommentsService(
            self.periods_service(),
            self.drafts_service(),
            self.logs,
            store=self.comments,
            response_store=self.corrections,
        )

    def moderation(self) -> ModerationService:
        return ModerationService(
            comment_store=self.comments, period_store=self.periods, outbox=self.outbox
        )

    def responses(self) -> ResponsesService:
        return ResponsesService(
            self.logs,
            comment_store=self.comments,
            period_store=self.periods,
            store=self.corrections,
            outbox=self.outbox,
        )

    def reports(self) -> ReportService:
        return ReportService(
            self.periods_service(),
            self.logs,
            comment_store=self.comments,
            draft_store=self.drafts,
            response_store=self.corrections,
            outbox=self.outbox,
        )

    def add_draft(self, sections: Sequence[str] = ("p1",), organisation: str = ORG) -> uuid.UUID:
        draft_id = uuid.uuid4()
        self.drafts.rows[draft_id] = {
            "id": draft_id,
            "organisation": organisation,
            "title": "О благоустройстве",
            "kind": "решение",
            "summary": "",
            "official_position": "",
            "current_version": 1,
            "created_at": NOW,
        }
        self.drafts.anchor_sets[(draft_id, 1)] = set(sections)
        return draft_id

    def add_period(
        self,
        status: CommentPeriodStatus,
        *,
        starts_at: dt.datetime = NOW - dt.timedelta(days=1),
        ends_at: dt.datetime = NOW + dt.timedelta(days=10),
        eligibility: str = "{}",
        organisation: str = ORG,
    ) -> str:
        period_id = f"cp-{len(self.periods.rows):04d}"
        self.periods.rows[period_id] = {
            "id": period_id,
            "draft": self.add_draft(organisation=organisation),
            "organisation": organisation,
            "status": status.value,
            "starts_at": starts_at,
            "ends_at": ends_at,
            "eligibility": eligibility,
            "territory": "[]",
            "comment_count": 0,
            "created_at": NOW - dt.timedelta(days=2),
            "opened_at": None,
            "closed_at": None,
            "report_published_at": None,
        }
        return period_id

    def add_comment(
        self,
        period_id: str,
        *,
        status: str = "published",
        disposition: str = "",
        justification: str = "",
        author: str = "citizen-1",
        text: str = "Сделайте тротуар шире.",
    ) -> uuid.UUID:
        comment_id = uuid.uuid4()
        self.comments.rows[comment_id] = {
            "id": comment_id,
            "period": period_id,
            "draft_version": 1,
            "section": "",
            "stance": "object",
            "text": text,
            "proposed_wording": "",
            "salt": bytes(16),
            "entry_hash": comment_id.bytes * 2,
            "tracking_code": "ABCD-EFGH",
            "author": author,
            "status": status,
            "reject_reason": "",
            "disposition": disposition,
            "justification": justification,
            "responded_at": NOW - dt.timedelta(hours=1) if disposition else None,
            "rating": None,
            "rating_entry_hash": None,
            "submitted_at": NOW - dt.timedelta(days=1),
        }
        return comment_id
