"""Citizens' pages of the polls service: my polls, the ballot, the receipt, "check my ballot",
results; the auditor's page; the embeddable widget."""

from __future__ import annotations

import base64
from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect, Response, Template

from services.polls.casting.domain import CastService
from services.polls.errors import PollsError
from services.polls.logs import PollLogs
from services.polls.pages.ballot_form import answers_from_form, kind_of, results_view
from services.polls.pages.widget import poll_widget_config
from services.polls.polls.domain import PollService, ineligibility, may_manage
from services.polls.polls.store import PollRecord
from services.polls.results.domain import ResultsService
from shared.identity.claims import Role, Session
from shared.identity.controllers import RECEIPT_COOKIE_PREFIX
from shared.log.note import NoteError
from shared.log.receipt import ReceiptError, normalize_tracking_code, verify_receipt
from shared.log.service import LogService
from shared.web.cookies import cookie_name, read_cookie
from shared.web.ui.embed import embed_headers, embed_snippet
from shared.web.ui.pages import (
    SignedForm,
    current_session,
    gettext,
    local_url,
    page,
    ui_settings,
)
from shared.web.ui.refusals import issue_message, problem_message
from shared.web.ui.verify import check_page, check_tracking_code, pinned_keys

__all__ = ("PUBLIC_LIST_LIMIT", "CitizenPages")

PUBLIC_LIST_LIMIT = 100
"""Polls a public page lists (the latest to open): one request reads at most this many."""

CodeQuery = Annotated[str | None, QueryParameter(max_length=40)]


def _receipt_cookie(poll_id: str, note: str | None, *, secure: bool) -> Cookie:
    value = base64.urlsafe_b64encode(note.encode()).decode() if note else ""
    # One per poll, on path "/" so that sign-out (under /auth) receives it and deletes it.
    return Cookie(
        key=cookie_name(RECEIPT_COOKIE_PREFIX + poll_id, secure=secure),
        value=value,
        path="/",
        httponly=True,
        secure=secure,
        samesite="strict",
        max_age=7 * 24 * 3600 if note else 0,
    )


def _issue_messages(
    request: Request[Any, Any, Any], poll: PollRecord, exc: PollsError
) -> list[str]:
    def translate(message: str) -> str:
        return gettext(request, message)

    texts = {q.id: q.text for q in poll.definition.questions}
    messages: list[str] = []
    for issue in exc.extra.get("errors", []):
        path = str(issue.get("path", ""))
        question = path.split(".")[1] if path.count(".") >= 1 else ""
        prefix = texts.get(question, path)
        messages.append(f"{prefix}: {issue_message(translate, str(issue.get('reason', '')))}")
    return messages or [problem_message(translate, exc.slug, exc.detail, exc.extra)]


class CitizenPages(Controller):
    include_in_schema = False
    # A poll the caller may not see is a 404 problem here too, never an unhandled 500.

    @get("/")
    async def home(
        self, request: Request[Any, Any, Any], polls: NamedDependency[PollService]
    ) -> Template:
        session = current_session(request)
        if session is None:
            tallied = await polls.store.listing((), True, status="tallied", limit=PUBLIC_LIST_LIMIT)
            return page(request, "polls/home.html", polls=tallied, mine=[], managed=[])
        visible, _ = await polls.listing(
            session, status=None, organisation=None, offset=0, limit=200
        )
        order = {"open": 0, "scheduled": 1, "closed": 2, "tallied": 3, "cancelled": 4}
        mine = sorted(
            (p for p in visible if p.status != "draft" and ineligibility(session, p) is None),
            key=lambda p: (order.get(p.status, 9), p.closes_at),
        )
        managed = [p for p in visible if may_manage(session, p)]
        return page(request, "polls/home.html", polls=[], mine=mine, managed=managed)

    @get("/polls/{poll_id:str}")
    async def poll_page(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        polls: NamedDependency[PollService],
        poll_logs: NamedDependency[PollLogs],
        signed_in: NamedDependency[Session],
    ) -> Response[Any]:
        session = signed_in
        poll = await polls.get_recent(session, poll_id)
        refusal = ineligibility(session, poll)
        return page(
            request,
            "polls/poll.html",
            poll=poll,
            sealed_size=await poll_logs.sealed_size(poll),
            questions=poll.definition.questions,
            kind_of=kind_of,
            refusal=refusal,
            errors=[],
            answers={},
        )

    @post("/polls/{poll_id:str}/ballot", status_code=303)
    async def cast(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        signed_form: NamedDependency[SignedForm],
        polls: NamedDependency[PollService],
        casting: NamedDependency[CastService],
    ) -> Response[Any]:
        form, session = signed_form
        poll = await polls.get(session, poll_id)
        fields = {key: form.getall(key) for key in form}
        answers = answers_from_form(poll.definition, fields)
        try:
            done = await casting.cast(session, poll_id, answers)
        except PollsError as exc:
            if exc.slug == "already-voted":
                return page(
                    request,
                    "polls/already_voted.html",
                    status_code=409,
                    poll=poll,
                    code=str(exc.extra.get("tracking_code", "")),
                )
            return page(
                request,
                "polls/poll.html",
                status_code=exc.status,
                poll=poll,
                questions=poll.definition.questions,
                kind_of=kind_of,
                refusal=ineligibility(session, poll),
                errors=_issue_messages(request, poll, exc),
                answers=fields,
            )
        secure = ui_settings(request).secure_cookies
        return Redirect(
            local_url(request, f"/polls/{poll_id}/receipt"),
            status_code=303,
            cookies=[_receipt_cookie(poll_id, done.receipt.note, secure=secure)],
        )

    @get("/polls/{poll_id:str}/receipt")
    async def receipt(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        polls: NamedDependency[PollService],
        logs: NamedDependency[LogService],
    ) -> Template:
        poll = await _published(polls, poll_id)
        note = _read_receipt(request, poll_id)
        parsed = None
        if note is not None:
            try:
                parsed, _ = verify_receipt(note, logs.keys.verifiers(), origin=logs.origin(poll_id))
            except ReceiptError:
                note = None
        return page(request, "polls/receipt.html", poll=poll, note=note, receipt=parsed)

    @get("/polls/{poll_id:str}/receipt.txt", media_type="text/plain; charset=utf-8")
    async def receipt_file(
        self, request: Request[Any, Any, Any], poll_id: FromPath[str]
    ) -> Response[str]:
        note = _read_receipt(request, poll_id)
        if note is None:
            raise NotFoundException(detail="No receipt in this browser for this poll.")
        return Response(
            note,
            media_type="text/plain; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="receipt-{poll_id}.txt"'},
        )

    @get("/polls/{poll_id:str}/check")
    async def check(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        polls: NamedDependency[PollService],
        logs: NamedDependency[LogService],
        code: CodeQuery = None,
    ) -> Template:
        return await check_page(
            request,
            logs,
            poll_id,
            code,
            "polls",
            poll=await _published(polls, poll_id),
            pinned=pinned_keys(logs, poll_id, local_url(request, "/api/v1/logs")),
            receipt_note=_receipt_for(request, logs, poll_id, code),
        )

    @get("/polls/{poll_id:str}/results")
    async def results(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        polls: NamedDependency[PollService],
        results: NamedDependency[ResultsService],
    ) -> Template:
        session = current_session(request)
        try:
            outcome = await results.results(session, poll_id)
        except PollsError as exc:
            if exc.status == 404 and session is None:
                raise NotFoundException() from exc
            poll = await polls.get(session, poll_id)
            return page(
                request,
                "polls/results.html",
                poll=poll,
                views=[],
                outcome=None,
                problem=exc.detail,
                status_code=exc.status,
            )
        views = results_view(
            outcome.poll.definition,
            outcome.results,
            gettext(request, "funded"),
            gettext(request, "not funded"),
        )
        # The answers by group are for the poll's officials and auditors (results.answers).
        answers_link = (
            session is not None
            and outcome.poll.status == "tallied"
            and (may_manage(session, outcome.poll) or session.has_role(Role.AUDITOR.value))
        )
        return page(
            request,
            "polls/results.html",
            poll=outcome.poll,
            views=views,
            outcome=outcome,
            problem="",
            answers_link=answers_link,
        )

    @get("/audit")
    async def audit(
        self,
        request: Request[Any, Any, Any],
        polls: NamedDependency[PollService],
        logs: NamedDependency[LogService],
    ) -> Template:
        listed = await polls.store.listing((), True, limit=PUBLIC_LIST_LIMIT)
        boards = [(poll, await logs.latest_checkpoint(poll.id)) for poll in listed]
        session = current_session(request)
        auditor = session is not None and session.has_role(Role.AUDITOR.value)
        return page(
            request,
            "polls/audit.html",
            logs=boards,
            keys=logs.verifier_keys(),
            auditor=auditor,
        )

    @get("/embed/polls/{poll_id:str}")
    async def embed(
        self,
        request: Request[Any, Any, Any],
        poll_id: FromPath[str],
        polls: NamedDependency[PollService],
        logs: NamedDependency[LogService],
        code: CodeQuery = None,
    ) -> Template:
        poll = await _published(polls, poll_id)
        headers = await embed_headers(poll.organisation)
        settings = ui_settings(request)
        # The widget checks a ballot too: in the browser against the pinned keys, with the
        # server's check as the fallback without JavaScript.
        result = await check_tracking_code(logs, poll_id, code) if code else None
        pinned = pinned_keys(logs, poll_id, local_url(request, "/api/v1/logs"))
        return page(
            request,
            "polls/embed.html",
            # Without a code the widget's body is the same for every visitor in one language
            # (it names no session): rendered once per change of the poll or of the keys.
            same_for_all=None
            if code
            else (
                poll.id,
                poll.updated_at,
                tuple(pinned["keys"]),
                tuple(pinned["witnesses"]),
                pinned["quorum"],
            ),
            headers=headers,
            poll=poll,
            questions=poll.definition.questions,
            kind_of=kind_of,
            answers={},
            widget=poll_widget_config(request, poll),
            full_url=f"{settings.polls_url.rstrip('/')}/polls/{poll.id}",
            snippet=embed_snippet(settings.polls_url, f"/embed/polls/{poll.id}", poll.title),
            code=code or "",
            result=result,
            pinned=pinned,
            receipt_note="",
        )


async def _published(polls: PollService, poll_id: str) -> PollRecord:
    """The poll, for pages anyone may open once it is scheduled; a draft is not found."""
    poll = await polls.lookup(poll_id, recent=True)
    if poll is None or poll.status == "draft":
        raise NotFoundException()
    return poll


def _receipt_for(
    request: Request[Any, Any, Any], logs: LogService, poll_id: str, code: str | None
) -> str:
    """This browser's receipt for the poll, for the check page to verify in the browser, if
    it is the ballot being checked (a citizen may check a code someone else gave them)."""
    note = _read_receipt(request, poll_id)
    if note is None:
        return ""
    try:
        parsed, _ = verify_receipt(note, logs.keys.verifiers(), origin=logs.origin(poll_id))
        if code and normalize_tracking_code(code) != parsed.tracking_code:
            return ""
    except NoteError:  # a receipt error, or one the keys no longer verify
        return ""
    return note


def _read_receipt(request: Request[Any, Any, Any], poll_id: str) -> str | None:
    raw = read_cookie(request, RECEIPT_COOKIE_PREFIX + poll_id)
    if not raw:
        return None
    try:
        return base64.urlsafe_b64decode(raw.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        return None
