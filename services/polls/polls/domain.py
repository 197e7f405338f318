"""Polls: who may create, change, schedule, cancel and see them, and the lifecycle rules.

``draft → scheduled → open → closed → tallied``, and ``cancelled`` with a reason from any
state before ``closed``; cancelling an open poll publishes the ballots it accepted under a
final checkpoint, with the reason, as a board that audits like any other. The definition
(questions, eligibility, times, title) is frozen once scheduled: it is what every ballot
answers and what the board publishes. Opening and closing are the scheduler's job
(:mod:`services.polls.scheduler`), never a button.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, fields, replace
from typing import Any

from services.polls.errors import conflict, forbidden, invalid, not_found
from services.polls.polls.store import PollRecord, PollStore
from shared.eligibility import Eligibility, Ineligible, check_eligibility, territory_issues
from shared.identity.claims import Permission, Role, Session
from shared.tally.definition import (
    DefinitionError,
    FreeText,
    PollDefinition,
    Question,
    Rule,
    encode_definition,
    validate_definition,
)
from shared.tally.pabulib import PabulibError, import_pb

__all__ = (
    "DEFAULT_ANONYMITY_BATCH",
    "MANAGE",
    "MIN_ANONYMITY_BATCH",
    "NewPoll",
    "PollChanges",
    "PollService",
    "ineligibility",
    "may_manage",
    "may_see_entries",
)

MANAGE = Permission.POLLS_MANAGE.value
_FROZEN_FIELDS = (
    "title",
    "kind",
    "questions",
    "eligibility",
    "opens_at",
    "closes_at",
    "anonymity_batch",
)
DEFAULT_ANONYMITY_BATCH = 20
MIN_ANONYMITY_BATCH = 10
"""Below this a published batch hides a ballot among too few others."""
MAX_ANONYMITY_BATCH = 10_000
"""Far below the integrator's batch bound, so every mixed batch gets one checkpoint."""


def may_manage(session: Session | None, poll: PollRecord) -> bool:
    return session is not None and session.has_permission(MANAGE, poll.organisation)


def may_see_entries(session: Session | None, poll: PollRecord) -> bool:
    """Entries of a poll with free text are for its organisation and auditors only."""
    if not poll.has_free_text:
        return True
    return session is not None and (
        may_manage(session, poll) or session.has_role(Role.AUDITOR.value)
    )


def ineligibility(session: Session, poll: PollRecord) -> Ineligible | None:
    return check_eligibility(
        poll.eligibility, session, poll.opens_at.date(), poll.organisation_territory
    )


@dataclass(frozen=True, slots=True)
class NewPoll:
    organisation: str
    title: str
    kind: str
    questions: tuple[Question, ...]
    eligibility: Eligibility
    opens_at: dt.datetime
    closes_at: dt.datetime
    description: str = ""
    show_intermediate_results: bool = False
    anonymity_batch: int = DEFAULT_ANONYMITY_BATCH

    @classmethod
    def of(cls, source: object, **given: Any) -> NewPoll:
        """The poll ``source`` describes in attributes of the same names (a request, the
        builder's parsed form, a record), ``given`` in place of those it lacks or overrides."""
        found = {f.name: getattr(source, f.name) for f in fields(cls) if f.name not in given}
        return cls(**found, **given)


@dataclass(frozen=True, slots=True)
class PollChanges:
    """Only the fields present are changed."""

    values: dict[str, Any] = field(default_factory=dict)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _issues(exc: DefinitionError, prefix: str = "") -> list[dict[str, str]]:
    return [{"path": prefix + i.path, "reason": i.reason} for i in exc.issues]


class PollService:
    def __init__(
        self,
        store: PollStore | None = None,
        *,
        seal_cancelled: Callable[[str], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store or PollStore()
        # Closes a cancelled poll's log (scheduler.Scheduler.seal_cancelled): the ballots
        # already accepted are published and the log ends with a final checkpoint.
        self.seal_cancelled = seal_cancelled

    # --- officials ------------------------------------------------------------------------

    def _grant_territory(self, session: Session, organisation: str) -> tuple[str, ...]:
        for grant in session.orgs:
            if grant.org == organisation and MANAGE in grant.permissions:
                return grant.territory
        raise forbidden(
            f"You may not manage polls of {organisation!r}: ask its administrator for the "
            "polls:manage permission."
        )

    async def create(self, session: Session, draft: NewPoll) -> PollRecord:
        territory = self._grant_territory(session, draft.organisation)
        record = self._build(
            secrets.token_hex(12),
            draft,
            territory=territory,
            created_by=session.sub,
            created_at=_now(),
        )
        await self.store.insert(record)
        return record

    def _build(
        self,
        poll_id: str,
        draft: NewPoll,
        *,
        territory: tuple[str, ...],
        created_by: str,
        created_at: dt.datetime,
        status: str = "draft",
    ) -> PollRecord:
        issues: list[dict[str, str]] = []
        definition = PollDefinition(
            id=poll_id,
            kind=draft.kind,  # type: ignore[arg-type]  # checked by the schema
            title=draft.title,
            questions=draft.questions,
        )
        try:
            validate_definition(definition)
        except DefinitionError as exc:
            issues += _issues(exc)
        for when, name in ((draft.opens_at, "opens_at"), (draft.closes_at, "closes_at")):
            if when.tzinfo is None:
                issues.append({"path": name, "reason": "give a time zone, e.g. 2026-06-01T09:00Z"})
        if draft.anonymity_batch < MIN_ANONYMITY_BATCH:
            issues.append(
                {
                    "path": "anonymity_batch",
                    "reason": f"must be at least {MIN_ANONYMITY_BATCH}: ballots are published "
                    "in batches of at least this size so that nobody who knows when a person "
                    "voted can pick out their ballot; a smaller batch hides it among too few",
                }
            )
        elif draft.anonymity_batch > MAX_ANONYMITY_BATCH:
            issues.append(
                {"path": "anonymity_batch", "reason": f"must be at most {MAX_ANONYMITY_BATCH}"}
            )
        if not issues and draft.opens_at >= draft.closes_at:
            issues.append({"path": "closes_at", "reason": "closes_at must be after opens_at"})
        issues += territory_issues(draft.eligibility, territory)
        if issues:
            raise invalid(issues, "Correct the listed fields and send the poll again.")
        return PollRecord(
            id=poll_id,
            organisation=draft.organisation,
            organisation_territory=territory,
            title=draft.title,
            description=draft.description,
            kind=draft.kind,
            definition=definition,
            definition_bytes=encode_definition(definition),
            has_free_text=any(isinstance(q, FreeText) for q in draft.questions),
            eligibility=draft.eligibility,
            opens_at=draft.opens_at.astimezone(dt.UTC),
            closes_at=draft.closes_at.astimezone(dt.UTC),
            show_intermediate_results=draft.show_intermediate_results,
            anonymity_batch=draft.anonymity_batch,
            status=status,
            cancel_reason=None,
            created_by=created_by,
            created_at=created_at,
            updated_at=_now(),
            results=None,
            certificate=None,
        )

    async def import_pabulib(
        self,
        session: Session,
        draft: NewPoll,
        text: str,
        rule: Rule | None,
        *,
        title: str | None = None,
    ) -> tuple[PollRecord, int]:
        """A draft project vote from a .pb file; the file's votes are counted, not cast."""
        self._grant_territory(session, draft.organisation)
        try:
            imported = import_pb(text, poll_id="import", title=title, rule=rule)
        except PabulibError as exc:
            raise invalid(
                [{"path": "pb", "reason": str(exc)}], "The .pb file is not usable."
            ) from exc
        except DefinitionError as exc:
            raise invalid(_issues(exc, "pb."), "The .pb file breaks a poll rule.") from exc
        definition = imported.definition
        record = await self.create(
            session,
            replace(
                draft,
                title=definition.title,
                kind="project_vote",
                questions=definition.questions,
            ),
        )
        return record, len(imported.answers)

    async def managed(self, session: Session, poll_id: str) -> PollRecord:
        poll = await self.store.get(poll_id)
        if poll is None or not (may_manage(session, poll) or self._visible(session, poll)):
            raise not_found(f"There is no poll {poll_id!r} you can see.")
        if not may_manage(session, poll):
            raise forbidden("Only officials of the poll's organisation with polls:manage may.")
        return poll

    async def update(self, session: Session, poll_id: str, changes: PollChanges) -> PollRecord:
        poll = await self.managed(session, poll_id)
        values = changes.values
        frozen = sorted(k for k in values if k in _FROZEN_FIELDS)
        if poll.status in ("closed", "tallied", "cancelled"):
            raise conflict(
                "poll-finished", "Poll finished", f"A {poll.status} poll cannot be changed."
            )
        if poll.status != "draft" and frozen:
            raise conflict(
                "poll-frozen",
                "Questions are frozen",
                f"The poll is {poll.status}: {', '.join(frozen)} can no longer change. "
                "Cancel it and create a new poll if the questions are wrong.",
                fields=frozen,
            )
        updated = self._build(
            poll.id,
            NewPoll.of(poll, **{"questions": poll.definition.questions, **values}),
            territory=poll.organisation_territory,
            created_by=poll.created_by,
            created_at=poll.created_at,
            status=poll.status,
        )
        await self.store.save(updated)
        return updated

    async def schedule(self, session: Session, poll_id: str) -> PollRecord:
        poll = await self.managed(session, poll_id)
        if poll.status != "draft":
            raise conflict("poll-not-draft", "Not a draft", f"The poll is already {poll.status}.")
        if poll.closes_at <= _now():
            raise conflict(
                "poll-closes-in-past",
                "Closing time has passed",
                "Move closes_at into the future before scheduling.",
            )
        if not await self.store.transition(poll_id, ["draft"], "scheduled"):
            raise conflict("poll-not-draft", "Not a draft", "The poll changed meanwhile.")
        return await self._reload(poll_id)

    async def cancel(self, session: Session, poll_id: str, reason: str) -> PollRecord:
        poll = await self.managed(session, poll_id)
        before = ["draft", "scheduled", "open"]
        if poll.status not in before or not await self.store.transition(
            poll_id, before, "cancelled", cancel_reason=reason
        ):
            raise conflict(
                "poll-not-cancellable",
                "Cannot cancel",
                f"A {poll.status} poll cannot be cancelled; only draft, scheduled and open ones.",
            )
        if poll.status != "draft" and self.seal_cancelled is not None:
            await self.seal_cancelled(poll_id)
        return await self._reload(poll_id)

    async def _reload(self, poll_id: str) -> PollRecord:
        poll = await self.store.get(poll_id)
        if poll is None:
            raise not_found(f"There is no poll {poll_id!r}.")
        return poll

    # --- everyone -------------------------------------------------------------------------

    def _visible(self, session: Session | None, poll: PollRecord) -> bool:
        if may_manage(session, poll):
            return True
        if poll.status == "draft":
            return False
        if session is None:
            return poll.status == "tallied"
        if session.has_role(Role.AUDITOR.value):
            return True
        return ineligibility(session, poll) is None

    async def get(self, session: Session | None, poll_id: str) -> PollRecord:
        return self._seen(session, poll_id, await self.store.get(poll_id))

    async def get_recent(self, session: Session | None, poll_id: str) -> PollRecord:
        """As :meth:`get`, from a read at most a second old: for the pages citizens open."""
        return self._seen(session, poll_id, await self.store.recent(poll_id))

    def _seen(self, session: Session | None, poll_id: str, poll: PollRecord | None) -> PollRecord:
        if poll is None or not self._visible(session, poll):
            raise not_found(f"There is no poll {poll_id!r} you can see.")
        return poll

    async def listing(
        self,
        session: Session,
        *,
        status: str | None,
        organisation: str | None,
        offset: int,
        limit: int,
    ) -> tuple[list[PollRecord], int]:
        """Polls the session may see: its organisations' polls, and the published polls it
        may take part in (all published ones for an auditor)."""
        mine = session.organisations_with(MANAGE)
        polls = await self.store.listing(mine, everyone_active=True)
        visible = [
            p
            for p in polls
            if self._visible(session, p)
            and (status is None or p.status == status)
            and (organisation is None or p.organisation == organisation)
        ]
        return visible[offset : offset + limit], len(visible)

    async def lookup(self, poll_id: str, *, recent: bool = False) -> PollRecord | None:
        """The poll whoever asks; with ``recent``, from a read at most a second old."""
        return await (self.store.recent(poll_id) if recent else self.store.get(poll_id))
