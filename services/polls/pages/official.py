"""Officials' pages of the polls service: my organisation's polls, the question builder,
scheduling and cancelling, analytics, downloads and the widget snippet."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Response

from services.polls.errors import PollsError, invalid
from services.polls.logs import PollLogs
from services.polls.pages.builder import (
    BUILDER_MESSAGES,
    BuilderError,
    form_blocks,
    form_of_poll,
    parse_builder,
)
from services.polls.polls.domain import (
    DEFAULT_ANONYMITY_BATCH,
    MANAGE,
    MIN_ANONYMITY_BATCH,
    NewPoll,
    PollChanges,
    PollService,
)
from services.polls.polls.store import PollRecord
from services.polls.results.domain import ResultsService
from shared.identity.claims import Session
from shared.web.ui.embed import embed_snippet
from shared.web.ui.pages import (
    SignedForm,
    current_session,
    gettext,
    local_redirect,
    page,
    ui_settings,
)
from shared.web.ui.refusals import poll_issue_message, problem_message

__all__ = ("OfficialPages",)

_MAX_UPLOAD = 2_000_000
_TERRITORY_LISTED = 100
"""Municipalities listed per prefix of an organisation's territory (the register's limit)."""
_MIN_REASON = 3
_MAX_REASON = 500
"""As the API's cancel request (CancelRequest), within the form's own field length."""


def _problems(request: Request[Any, Any, Any], exc: PollsError) -> list[str]:
    def translate(message: str) -> str:
        return gettext(request, message)

    issues = exc.extra.get("errors") or exc.extra.get("issues") or []
    listed = [
        poll_issue_message(translate, str(i.get("path", "")), str(i.get("reason", "")))
        or f"{i.get('path', '')}: {i.get('reason', '')}"
        for i in issues
        if isinstance(i, dict)
    ]
    return listed or [problem_message(translate, exc.slug, exc.detail, exc.extra)]


def _invalid_fields(exc: PollsError) -> frozenset[str]:
    """The form fields a refusal names (marked invalid next to the field)."""
    issues = exc.extra.get("errors") or exc.extra.get("issues") or []
    return frozenset(str(i.get("path", "")) for i in issues if isinstance(i, dict))


async def _municipalities(
    request: Request[Any, Any, Any], organisations: tuple[str, ...]
) -> dict[str, list[tuple[str, str]]]:
    """(OKTMO, name) of the municipalities each organisation's territory holds, as the
    register names them, for choosing a poll's territory among them."""
    session = current_session(request)
    territory = getattr(request.app.state, "territory", None)
    found: dict[str, list[tuple[str, str]]] = {}
    if session is None or territory is None:
        return found
    for grant in session.orgs:
        if grant.org not in organisations or MANAGE not in grant.permissions:
            continue
        named: dict[str, str] = {}
        for prefix in grant.territory:
            for record in await territory.search(prefix, _TERRITORY_LISTED):
                named.setdefault(record.oktmo, record.name)
        found[grant.org] = sorted(named.items())
    return found


def _translated(request: Request[Any, Any, Any], problems: list[str]) -> list[str]:
    return [gettext(request, p) if p in BUILDER_MESSAGES else p for p in problems]


async def _builder_page(
    request: Request[Any, Any, Any],
    *,
    organisations: tuple[str, ...],
    errors: list[str],
    form: dict[str, list[str]],
    poll: PollRecord | None = None,
    invalid: frozenset[str] = frozenset(),
    status_code: int = 200,
) -> Response[Any]:
    """The question builder, empty (a new poll) or describing ``poll`` (editing it)."""
    return page(
        request,
        "polls/builder.html",
        status_code=status_code,
        poll=poll,
        organisations=organisations,
        municipalities=await _municipalities(request, organisations),
        errors=errors,
        form=form,
        blocks=form_blocks(form),
        invalid_fields=invalid,
        min_anonymity_batch=MIN_ANONYMITY_BATCH,
        default_anonymity_batch=DEFAULT_ANONYMITY_BATCH,
    )


async def _upload_text(form: Any, key: str) -> str:
    upload = form.get(key)
    if not isinstance(upload, UploadFile) or not upload.filename:
        return ""
    data = await upload.read(_MAX_UPLOAD + 1)
    if len(data) > _MAX_UPLOAD:
        raise BuilderError([f"{upload.filename}: the file is larger than 2 MB"])
    return data.decode("utf-8-sig", errors="replace")


async def _changes(poll: PollRecord, fields: dict[str, list[str]], form: Any) -> PollChanges:
    """What the edit form changes: everything the builder describes for a draft, only the
    description and the intermediate results once scheduled (the domain refuses the rest)."""
    description = (fields.get("description") or [""])[0].strip()
    show = (fields.get("show_intermediate_results") or [""])[0] == "on"
    if poll.status != "draft":
        return PollChanges({"description": description, "show_intermediate_results": show})
    roll_text = await _upload_text(form, "roll_file")
    parsed = parse_builder(fields, await _upload_text(form, "projects_file"), roll_text)
    roll = poll.eligibility.roll
    if roll_text:
        roll = parsed.eligibility.roll
    elif (fields.get("roll_remove") or [""])[0] == "on":
        roll = None
    eligibility = msgspec.structs.replace(
        poll.eligibility,
        territory=parsed.eligibility.territory,
        min_age=parsed.eligibility.min_age,
        confirmed_only=parsed.eligibility.confirmed_only,
        roll=roll,
    )
    return PollChanges(
        {
            "title": parsed.title,
            "kind": parsed.kind,
            "questions": parsed.questions,
            "eligibility": eligibility,
            "opens_at": parsed.opens_at,
            "closes_at": parsed.closes_at,
            "description": parsed.description,
            "show_intermediate_results": parsed.show_intermediate_results,
            "anonymity_batch": parsed.anonymity_batch,
        }
    )


def _organisations(session: Session) -> tuple[str, ...]:
    return session.organisations_with(MANAGE)


class OfficialPages(Controller):
    path = "/manage"
    include_in_schema = False
    # A poll of another organisation is a 404 problem here too, never an unhandled 500.

    @get("/")
    async def desk(
        self,
        request: Request[Any, Any, Any],
        polls: NamedDependency[PollService],
        signed_in: NamedDependency[Session],
    ) -> Response[Any]:
        session = signed_in
        mine = _organisations(session)
        listed = await polls.store.listing(mine, False) if mine else []
        return page(request, "polls/manage.html", polls=listed, organisations=mine)

    @get("/polls/new")
    async def new_poll(
        self, request: Request[Any, Any, Any], signed_in: NamedDependency[Session]
    ) -> Response[Any]:
        session = signed_in
        return await _builder_page(
            request, organisations=_organisations(session), errors=[], form={}
        )

    @post("/polls/new", status_code=303, request_max_body_size=_MAX_UPLOAD * 2)
    async def create(
        self,
        request: Request[Any, Any, Any],
        signed_form: NamedDependency[SignedForm],
        polls: NamedDependency[PollService],
    ) -> Response[Any]:
        form, session = signed_form
        fields = {k: [v for v in form.getall(k) if isinstance(v, str)] for k in form}
        try:
            pb_text = await _upload_text(form, "pb_file")
            csv_text = await _upload_text(form, "projects_file")
            roll_text = await _upload_text(form, "roll_file")
            if pb_text:
                parsed = parse_builder(
                    {
                        **fields,
                        "kind": ["survey"],
                        "questions-0-kind": ["free_text"],
                        "questions-0-text": ["-"],
                    },
                    roll_text=roll_text,
                )
                draft = NewPoll.of(parsed, kind="project_vote", questions=())
                record, _ = await polls.import_pabulib(
                    session, draft, pb_text, None, title=parsed.title
                )
            else:
                parsed = parse_builder(fields, csv_text, roll_text)
                record = await polls.create(session, NewPoll.of(parsed))
        except BuilderError as exc:
            errors, status, invalid = _translated(request, exc.problems), 422, frozenset[str]()
        except PollsError as exc:
            # A refusal keeps its status: another organisation's poll is a 403, not a typo.
            errors, status, invalid = _problems(request, exc), exc.status, _invalid_fields(exc)
        else:
            return local_redirect(request, f"/manage/polls/{record.id}")
        return await _builder_page(
            request,
            status_code=status,
            organisations=_organisations(session),
            errors=errors,
            form=fields,
            invalid=invalid,
        )

    @get("/polls/{poll_id:str}")
    async def detail(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        polls: NamedDependency[PollService],
        results: NamedDependency[ResultsService],
        poll_logs: NamedDependency[PollLogs],
        signed_in: NamedDependency[Session],
    ) -> Response[Any]:
        session = signed_in
        poll = await polls.managed(session, poll_id)
        analytics = None
        if poll.status not in ("draft", "scheduled", "cancelled"):
            analytics = await results.analytics(session, poll_id, 10)
        settings = ui_settings(request)
        return page(
            request,
            "polls/manage_poll.html",
            poll=poll,
            sealed_size=await poll_logs.sealed_size(poll),
            analytics=analytics,
            snippet=embed_snippet(settings.polls_url, f"/embed/polls/{poll.id}", poll.title),
            errors=[],
        )

    @get("/polls/{poll_id:str}/edit")
    async def edit_form(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        polls: NamedDependency[PollService],
        signed_in: NamedDependency[Session],
    ) -> Response[Any]:
        session = signed_in
        poll = await polls.managed(session, poll_id)
        if poll.status not in ("draft", "scheduled"):
            return local_redirect(request, f"/manage/polls/{poll_id}")
        return await _builder_page(
            request,
            poll=poll,
            organisations=(poll.organisation,),
            errors=[],
            form=form_of_poll(poll),
        )

    @post("/polls/{poll_id:str}/edit", status_code=303, request_max_body_size=_MAX_UPLOAD * 2)
    async def edit(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        signed_form: NamedDependency[SignedForm],
        polls: NamedDependency[PollService],
    ) -> Response[Any]:
        form, session = signed_form
        poll = await polls.managed(session, poll_id)
        fields = {k: [v for v in form.getall(k) if isinstance(v, str)] for k in form}
        fields["organisation"] = [poll.organisation]
        try:
            await polls.update(session, poll_id, await _changes(poll, fields, form))
        except BuilderError as exc:
            errors, status, invalid = _translated(request, exc.problems), 422, frozenset[str]()
        except PollsError as exc:
            errors, status, invalid = _problems(request, exc), exc.status, _invalid_fields(exc)
        else:
            return local_redirect(request, f"/manage/polls/{poll_id}")
        return await _builder_page(
            request,
            status_code=status,
            poll=poll,
            organisations=(poll.organisation,),
            errors=errors,
            form=fields,
            invalid=invalid,
        )

    @post("/polls/{poll_id:str}/schedule", status_code=303)
    async def schedule(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        signed_form: NamedDependency[SignedForm],
        polls: NamedDependency[PollService],
        poll_logs: NamedDependency[PollLogs],
    ) -> Response[Any]:
        return await _transition(request, signed_form, polls, poll_logs, poll_id, "schedule")

    @post("/polls/{poll_id:str}/cancel", status_code=303)
    async def cancel(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        signed_form: NamedDependency[SignedForm],
        polls: NamedDependency[PollService],
        poll_logs: NamedDependency[PollLogs],
    ) -> Response[Any]:
        return await _transition(request, signed_form, polls, poll_logs, poll_id, "cancel")


async def _transition(
    request: Request[Any, Any, Any],
    signed: SignedForm,
    polls: PollService,
    poll_logs: PollLogs,
    poll_id: str,
    action: str,
) -> Response[Any]:
    form, session = signed
    reason = " ".join(str(form.get("reason") or "").split())
    try:
        if action == "schedule":
            await polls.schedule(session, poll_id)
        elif len(reason) < _MIN_REASON:
            # The reason is published with the poll and on its board: never made up.
            raise invalid(
                [{"path": "reason", "reason": "at least 3 characters"}],
                "Give the reason for cancelling: it is published with the poll.",
            )
        else:
            await polls.cancel(session, poll_id, reason[:_MAX_REASON])
    except PollsError as exc:
        poll = await polls.managed(session, poll_id)
        return await _refused(request, poll_logs, poll, exc.status, _problems(request, exc))
    return local_redirect(request, f"/manage/polls/{poll_id}")


async def _refused(
    request: Request[Any, Any, Any],
    poll_logs: PollLogs,
    poll: PollRecord,
    status: int,
    errors: list[str],
) -> Response[Any]:
    settings = ui_settings(request)
    return page(
        request,
        "polls/manage_poll.html",
        status_code=status,
        poll=poll,
        sealed_size=await poll_logs.sealed_size(poll),
        analytics=None,
        snippet=embed_snippet(settings.polls_url, f"/embed/polls/{poll.id}", poll.title),
        errors=errors,
    )
