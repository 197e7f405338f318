"""HTTP endpoints of polls: officials create, edit, schedule, cancel, import; everyone lists
and reads the polls they may see."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Controller, MediaType, Response, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter

from services.polls.polls.domain import NewPoll, PollChanges, PollService, may_manage
from services.polls.polls.schemas import (
    CancelRequest,
    ImportedPoll,
    ImportRequest,
    PollCreate,
    PollPage,
    PollUpdate,
    PollView,
    Status,
    poll_view,
)
from services.polls.results.domain import ResultsService
from services.polls.web import MAX_PAGE
from shared.identity import Session, requires_permission
from shared.web.openapi import problems

__all__ = ("PollsController",)

_MANAGE = [requires_permission("polls:manage")]


class PollsController(Controller):
    path = "/api/v1/polls"
    tags = ["polls"]  # noqa: RUF012 - Litestar reads it as a class attribute

    @get("/")
    async def list_polls(
        self,
        session: NamedDependency[Session],
        polls: NamedDependency[PollService],
        status: Annotated[Status | None, QueryParameter()] = None,
        organisation: Annotated[str | None, QueryParameter()] = None,
        # Bounded so a huge offset is a 400, not an overflow in the database driver.
        offset: Annotated[int, QueryParameter(ge=0, le=2**31 - 1)] = 0,
        limit: Annotated[int, QueryParameter(ge=1, le=MAX_PAGE)] = 20,
    ) -> PollPage:
        """Polls you may see: your organisations' (officials), published ones you may take
        part in (citizens), every published one (auditors). Newest opening first."""
        items, total = await polls.listing(
            session, status=status, organisation=organisation, offset=offset, limit=limit
        )
        end = offset + len(items)
        return PollPage(
            items=[poll_view(p, show_roll=may_manage(session, p)) for p in items],
            total=total,
            offset=offset,
            limit=limit,
            next_offset=end if end < total else None,
        )

    @post("/", guards=_MANAGE, responses=problems(422))
    async def create_poll(
        self,
        session: NamedDependency[Session],
        data: JSONBody[PollCreate],
        polls: NamedDependency[PollService],
    ) -> PollView:
        """Create a draft poll for one of your organisations (polls:manage)."""
        record = await polls.create(session, NewPoll.of(data))
        return poll_view(record, show_roll=True)

    @post("/import", guards=_MANAGE, responses=problems(422))
    async def import_poll(
        self,
        session: NamedDependency[Session],
        data: JSONBody[ImportRequest],
        polls: NamedDependency[PollService],
    ) -> ImportedPoll:
        """Create a draft project vote from a pabulib .pb file."""
        draft = NewPoll.of(data, title=data.title or "-", kind="project_vote", questions=())
        record, votes = await polls.import_pabulib(
            session, draft, data.pb, data.rule, title=data.title
        )
        return ImportedPoll(poll=poll_view(record, show_roll=True), votes_in_file=votes)

    @get("/{poll_id:str}")
    async def get_poll(
        self,
        poll_id: FromPath[str],
        optional_session: NamedDependency[Session | None],
        polls: NamedDependency[PollService],
    ) -> PollView:
        """One poll with its questions."""
        poll = await polls.get(optional_session, poll_id)
        return poll_view(poll, show_roll=may_manage(optional_session, poll))

    @patch("/{poll_id:str}", guards=_MANAGE, responses=problems(409, 422))
    async def update_poll(
        self,
        session: NamedDependency[Session],
        poll_id: FromPath[str],
        data: JSONBody[PollUpdate],
        polls: NamedDependency[PollService],
    ) -> PollView:
        """Change a draft; once scheduled only description and show_intermediate_results
        may change (409 poll-frozen otherwise)."""
        values: dict[str, Any] = {
            k: v for k, v in msgspec.structs.asdict(data).items() if v is not msgspec.UNSET
        }
        updated = await polls.update(session, poll_id, PollChanges(values))
        return poll_view(updated, show_roll=True)

    @post(
        "/{poll_id:str}/schedule",
        guards=_MANAGE,
        status_code=200,
        responses=problems(409, 422),
    )
    async def schedule_poll(
        self,
        session: NamedDependency[Session],
        poll_id: FromPath[str],
        polls: NamedDependency[PollService],
    ) -> PollView:
        """Freeze the questions; the poll opens and closes by itself at its times."""
        return poll_view(await polls.schedule(session, poll_id), show_roll=True)

    @post("/{poll_id:str}/cancel", guards=_MANAGE, status_code=200, responses=problems(409))
    async def cancel_poll(
        self,
        session: NamedDependency[Session],
        poll_id: FromPath[str],
        data: JSONBody[CancelRequest],
        polls: NamedDependency[PollService],
    ) -> PollView:
        """Cancel a draft, scheduled or open poll, with a published reason."""
        return poll_view(await polls.cancel(session, poll_id, data.reason), show_roll=True)

    @get("/{poll_id:str}/export.pb", media_type=MediaType.TEXT, responses=problems(409))
    async def export_poll(
        self,
        poll_id: FromPath[str],
        optional_session: NamedDependency[Session | None],
        results: NamedDependency[ResultsService],
    ) -> Response[str]:
        """The project vote and its ballots in pabulib .pb format (once tallied)."""
        text = await results.export_pb(optional_session, poll_id)
        return Response(
            text,
            media_type=MediaType.TEXT,
            headers={"Content-Disposition": f'attachment; filename="{poll_id}.pb"'},
        )
