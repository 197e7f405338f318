"""The admins' pages of the registry, served by the sign-in component (polls): organisations
with their territory and embedding sites, members, invitation links, and the audit trail; and
the page where an invited person accepts a link."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Protocol

from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.exceptions import NotFoundException, PermissionDeniedException
from litestar.params import FromPath, QueryParameter
from litestar.response import Redirect
from litestar.types import ControllerRouterHandler

from shared.identity import registry
from shared.identity.admin.access import may_change_registry, may_read_trail
from shared.identity.admin.views import invitation_url, organisation_views, session_minutes
from shared.identity.claims import Permission, Session
from shared.identity.invitations import (
    DEFAULT_INVITATION_HOURS,
    MAX_INVITATION_HOURS,
    InvitationError,
    InvitationRecord,
    accept_invitation,
    find_invitation,
    issue_invitation,
    list_invitations,
    withdraw_invitation,
)
from shared.identity.territory.store import MunicipalityRecord, TerritoryStore
from shared.identity.trail import MAX_TRAIL_PAGE, list_changes
from shared.web.ui.pages import (
    current_session,
    gettext,
    local_redirect,
    page,
    sign_in_url,
    signed_in_form,
)

__all__ = ("ADMIN_MESSAGES", "admin_pages")

_GENERAL = "The request was refused. Check the page and try again."
_REFUSALS: dict[str, str] = {
    "bad-slug": "The short name may hold only lower-case Latin letters, digits and hyphens "
    "(2 to 63 characters).",
    "bad-name": "Give the organisation's official name.",
    "bad-territory": "Give the territory as 8- or 11-digit OKTMO codes, one per line.",
    "bad-origin": "An embedding site must be written as https://host or https://host:port, "
    "without a path:",
    "too-many-origins": "Too many embedding sites.",
    "organisation-exists": "An organisation with this short name exists already: edit it.",
    "bad-sub": "The person's id is the 64-character pseudonymous id (sub) they see at /me.",
    "bad-role": "Choose a role from the list.",
    "bad-permissions": "Choose permissions from the list.",
    "official-needs-organisation": "An official needs an organisation and at least one permission.",
    "platform-role": "Auditors and admins are platform-wide: they take no organisation and no "
    "permissions.",
    "no-organisation": "There is no such organisation.",
    "bad-expiry": "An invitation lasts from 1 hour to 14 days.",
    "invitation-unknown": "This invitation link is not valid.",
    "invitation-used": "This invitation link has been used already.",
    "invitation-withdrawn": "This invitation was withdrawn.",
    "invitation-expired": "This invitation link has expired: ask the admin for a new one.",
    "account-not-confirmed": "Roles are granted to confirmed Gosuslugi accounts only: confirm "
    "your account on Gosuslugi first.",
}
_LABELS: dict[str, str] = {
    "official": "Official",
    "auditor": "Auditor",
    "admin": "Administrator",
    Permission.POLLS_MANAGE.value: "Manage polls",
    Permission.DISCUSSIONS_MANAGE.value: "Manage public discussions",
    Permission.MODERATE.value: "Moderate comments",
    Permission.RESPOND.value: "Respond to comments",
    "organisation.create": "Organisation registered",
    "organisation.update": "Organisation changed",
    "membership.grant": "Role granted",
    "membership.revoke": "Role revoked",
    "invitation.create": "Invitation made",
    "invitation.accept": "Invitation accepted",
    "invitation.withdraw": "Invitation withdrawn",
    "pending": "waiting to be accepted",
    "accepted": "used by the invitee",
    "withdrawn": "withdrawn",
    "expired": "expired",
}
ADMIN_MESSAGES = frozenset({*_REFUSALS.values(), *_LABELS.values(), _GENERAL})
"""Every msgid used from Python here (the catalogue test checks both catalogues hold them)."""
_PERMISSIONS = tuple(p.value for p in Permission)
_LIST_LIMIT = 200
_FOUND_LIMIT = 20


def _labels(request: Request[Any, Any, Any]) -> dict[str, str]:
    return {key: gettext(request, text) for key, text in _LABELS.items()}


def _refusal(request: Request[Any, Any, Any], code: str, subject: str = "") -> str:
    text = gettext(request, _REFUSALS.get(code, _GENERAL))
    return f"{text} {subject}" if subject else text


def _admin(request: Request[Any, Any, Any]) -> Session | Redirect:
    """The admin's session; the anonymous are sent to sign in, others refused."""
    session = current_session(request)
    if session is None:
        return Redirect(sign_in_url(request), status_code=303)
    if not may_change_registry(session.roles):
        raise PermissionDeniedException(detail="this page is for the platform's admins")
    return session


async def _admin_form(
    request: Request[Any, Any, Any],
) -> tuple[FormMultiDict, Session] | Redirect:
    signed = await signed_in_form(request)
    if isinstance(signed, Redirect):
        return signed
    if not may_change_registry(signed[1].roles):
        raise PermissionDeniedException(detail="this needs the admin role")
    return signed


class _OfOrganisation(Protocol):
    @property
    def organisation(self) -> str | None: ...


async def _ended(
    request: Request[Any, Any, Any],
    end: Callable[[FormMultiDict, str], Awaitable[_OfOrganisation | None]],
    missing: str,
    done: str,
) -> Response[Any]:
    """An admin form that ends one record: ``end(form, actor)`` gives it, or None (404,
    ``missing``); back to its organisation's page, saying ``done``."""
    signed = await _admin_form(request)
    if isinstance(signed, Redirect):
        return signed
    form, session = signed
    record = await end(form, session.sub)
    if record is None:
        raise NotFoundException(detail=missing)
    return local_redirect(request, _back(record.organisation, done))


def _lines(text: str) -> list[str]:
    """Codes or sites typed one per line (commas and spaces also separate them)."""
    return [part for part in text.replace(",", " ").split() if part]


def _store(request: Request[Any, Any, Any]) -> TerritoryStore:
    store: TerritoryStore = request.app.state.territory
    return store


async def _search(request: Request[Any, Any, Any], q: str | None) -> list[MunicipalityRecord]:
    """Municipalities whose name (or code) holds ``q``: how an admin finds OKTMO codes."""
    return await _store(request).search(q, _FOUND_LIMIT) if q and q.strip() else []


async def _home(
    request: Request[Any, Any, Any],
    *,
    errors: Sequence[str] = (),
    form: dict[str, str] | None = None,
    status_code: int = 200,
    q: str | None = None,
) -> Response[Any]:
    found = await organisation_views(_store(request), await registry.list_organisations())
    return page(
        request,
        "ui/admin_home.html",
        status_code=status_code,
        organisations=found,
        platform=await registry.list_memberships(platform=True),
        invitations=await list_invitations(platform=True),
        labels=_labels(request),
        errors=list(errors),
        form=form or {},
        minutes=session_minutes(request),
        default_hours=DEFAULT_INVITATION_HOURS,
        max_hours=MAX_INVITATION_HOURS,
        q=q or "",
        found=await _search(request, q),
    )


SearchQuery = Annotated[str | None, QueryParameter(max_length=100)]


@get("/admin", include_in_schema=False)
async def admin_home(request: Request[Any, Any, Any], q: SearchQuery = None) -> Response[Any]:
    session = _admin(request)
    if isinstance(session, Redirect):
        return session
    return await _home(request, q=q)


@post("/admin/organisations", include_in_schema=False)
async def create_page(request: Request[Any, Any, Any]) -> Response[Any]:
    signed = await _admin_form(request)
    if isinstance(signed, Redirect):
        return signed
    form, session = signed
    fields = {k: str(form.get(k, "")) for k in ("slug", "name", "territory", "embed_origins")}
    try:
        record = await registry.create_organisation(
            fields["slug"].strip(),
            fields["name"],
            _lines(fields["territory"]),
            _lines(fields["embed_origins"]),
            actor=session.sub,
        )
    except registry.RegistryError as exc:
        error = _refusal(request, exc.code, exc.subject if exc.code == "bad-origin" else "")
        return await _home(request, errors=[error], form=fields, status_code=422)
    return local_redirect(request, f"/admin/organisations/{record.slug}")


async def _organisation_page(
    request: Request[Any, Any, Any],
    slug: str,
    *,
    errors: Sequence[str] = (),
    form: dict[str, str] | None = None,
    status_code: int = 200,
    q: str | None = None,
) -> Response[Any]:
    record = await registry.get_organisation(slug)
    if record is None:
        raise NotFoundException(detail=f"no organisation {slug!r}")
    [view] = await organisation_views(_store(request), [record])
    return page(
        request,
        "ui/admin_organisation.html",
        status_code=status_code,
        organisation=view,
        members=await registry.list_memberships(organisation=slug),
        invitations=(await list_invitations(slug))[:_LIST_LIMIT],
        permissions=_PERMISSIONS,
        labels=_labels(request),
        errors=list(errors),
        form=form
        or {
            "name": record.name,
            "territory": "\n".join(record.territory),
            "embed_origins": "\n".join(record.embed_origins),
        },
        minutes=session_minutes(request),
        default_hours=DEFAULT_INVITATION_HOURS,
        max_hours=MAX_INVITATION_HOURS,
        q=q or "",
        found=await _search(request, q),
    )


@get("/admin/organisations/{slug:str}", include_in_schema=False)
async def organisation_page(
    request: Request[Any, Any, Any], slug: FromPath[str], q: SearchQuery = None
) -> Response[Any]:
    session = _admin(request)
    if isinstance(session, Redirect):
        return session
    return await _organisation_page(request, slug, q=q)


@post("/admin/organisations/{slug:str}", include_in_schema=False)
async def edit_page(request: Request[Any, Any, Any], slug: FromPath[str]) -> Response[Any]:
    signed = await _admin_form(request)
    if isinstance(signed, Redirect):
        return signed
    form, session = signed
    fields = {k: str(form.get(k, "")) for k in ("name", "territory", "embed_origins")}
    try:
        record = await registry.update_organisation(
            slug,
            fields["name"],
            _lines(fields["territory"]),
            _lines(fields["embed_origins"]),
            actor=session.sub,
        )
    except registry.RegistryError as exc:
        error = _refusal(request, exc.code, exc.subject if exc.code == "bad-origin" else "")
        return await _organisation_page(request, slug, errors=[error], form=fields, status_code=422)
    if record is None:
        raise NotFoundException(detail=f"no organisation {slug!r}")
    return local_redirect(request, f"/admin/organisations/{slug}?saved=1")


def _back(organisation: str | None, note: str) -> str:
    where = f"/admin/organisations/{organisation}" if organisation else "/admin"
    return f"{where}?{note}=1"


async def _refused_grant(
    request: Request[Any, Any, Any], organisation: str | None, error: str
) -> Response[Any]:
    if organisation and await registry.get_organisation(organisation) is not None:
        return await _organisation_page(request, organisation, errors=[error], status_code=422)
    return await _home(request, errors=[error], status_code=422)


@post("/admin/memberships", include_in_schema=False)
async def grant_page(request: Request[Any, Any, Any]) -> Response[Any]:
    signed = await _admin_form(request)
    if isinstance(signed, Redirect):
        return signed
    form, session = signed
    organisation = str(form.get("organisation", "")).strip() or None
    try:
        await registry.grant(
            str(form.get("sub", "")).strip().lower(),
            str(form.get("role", "")),
            organisation,
            [str(p) for p in form.getall("permissions", [])],
            actor=session.sub,
        )
    except registry.RegistryError as exc:
        return await _refused_grant(request, organisation, _refusal(request, exc.code))
    return local_redirect(request, _back(organisation, "granted"))


@post("/admin/memberships/{membership_id:int}/revoke", include_in_schema=False)
async def revoke_page(
    request: Request[Any, Any, Any], membership_id: FromPath[int]
) -> Response[Any]:
    async def revoke(form: FormMultiDict, actor: str) -> registry.MembershipRecord | None:
        record = await registry.revoke_membership(membership_id, actor=actor)
        if record is not None and form.get("end_sessions"):
            await request.app.state.identity.sign_out_everywhere(record.sub)
        return record

    return await _ended(request, revoke, f"no membership {membership_id}", "revoked")


@post("/admin/invitations", include_in_schema=False)
async def invite_page(request: Request[Any, Any, Any]) -> Response[Any]:
    signed = await _admin_form(request)
    if isinstance(signed, Redirect):
        return signed
    form, session = signed
    organisation = str(form.get("organisation", "")).strip() or None
    hours_text = str(form.get("hours", DEFAULT_INVITATION_HOURS))
    try:
        issued = await issue_invitation(
            str(form.get("role", "")),
            organisation,
            [str(p) for p in form.getall("permissions", [])],
            hours=int(hours_text) if hours_text.isdigit() else 0,
            actor=session.sub,
        )
    except registry.RegistryError as exc:
        return await _refused_grant(request, organisation, _refusal(request, exc.code))
    return page(
        request,
        "ui/admin_invitation_made.html",
        invitation=issued.invitation,
        url=invitation_url(request, issued.token),
        labels=_labels(request),
    )


@post("/admin/invitations/{invitation_id:int}/withdraw", include_in_schema=False)
async def withdraw_page(
    request: Request[Any, Any, Any], invitation_id: FromPath[int]
) -> Response[Any]:
    async def withdraw(_: FormMultiDict, actor: str) -> InvitationRecord | None:
        return await withdraw_invitation(invitation_id, actor=actor)

    return await _ended(request, withdraw, f"no unused invitation {invitation_id}", "withdrawn")


@get("/admin/trail", include_in_schema=False)
async def trail_page(
    request: Request[Any, Any, Any],
    before: Annotated[int | None, QueryParameter(ge=1, le=2**62)] = None,
) -> Response[Any]:
    session = current_session(request)
    if session is None:
        return Redirect(sign_in_url(request), status_code=303)
    if not may_read_trail(session.roles):
        raise PermissionDeniedException(detail="this page is for admins and auditors")
    return page(
        request,
        "ui/admin_trail.html",
        trail=await list_changes(before, MAX_TRAIL_PAGE // 2),
        before=before,
        labels=_labels(request),
    )


@get("/invitations/{token:str}", include_in_schema=False)
async def invitation_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    session = current_session(request)
    if session is None:
        return Redirect(sign_in_url(request), status_code=303)
    record = await find_invitation(token)
    return page(
        request,
        "ui/invitation.html",
        invitation=record,
        refusal=_invitation_refusal(request, record.state if record else "unknown"),
        accepted=None,
        labels=_labels(request),
    )


def _invitation_refusal(request: Request[Any, Any, Any], state: str) -> str | None:
    """Why the link grants nothing any more; None while it is pending."""
    if state == "pending":
        return None
    return _refusal(request, {"accepted": "invitation-used"}.get(state, f"invitation-{state}"))


@post("/invitations/{token:str}", include_in_schema=False)
async def accept_page(request: Request[Any, Any, Any], token: FromPath[str]) -> Response[Any]:
    signed = await signed_in_form(request)
    if isinstance(signed, Redirect):
        return signed
    _, session = signed
    record = await find_invitation(token)
    refusal: str | None = None
    accepted = None
    if not session.trusted:
        refusal = _refusal(request, "account-not-confirmed")
    else:
        try:
            accepted = await accept_invitation(token, session.sub)
        except InvitationError as exc:
            refusal = _refusal(request, exc.code)
    return page(
        request,
        "ui/invitation.html",
        status_code=200 if refusal is None else 409 if session.trusted else 403,
        invitation=record,
        refusal=refusal,
        accepted=accepted,
        labels=_labels(request),
        minutes=session_minutes(request),
    )


def admin_pages() -> list[ControllerRouterHandler]:
    return [
        admin_home,
        create_page,
        organisation_page,
        edit_page,
        grant_page,
        revoke_page,
        invite_page,
        withdraw_page,
        trail_page,
        invitation_page,
        accept_page,
    ]
