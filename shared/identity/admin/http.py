"""The admins' registry over HTTP: organisations, memberships, invitations and the trail.

Mounted by the sign-in component (polls) only: it alone writes the identity database. Admins
change the registry; admins and auditors read its trail; anyone signed in may accept an
invitation link they were given.
"""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Request, get, post, put
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.types import ControllerRouterHandler

from shared.identity.admin.access import admins_only, trail_readers_only
from shared.identity.admin.schemas import (
    GrantIn,
    InvitationIn,
    InvitationList,
    InvitationOut,
    IssuedInvitationOut,
    MembershipList,
    MembershipOut,
    OrganisationEdit,
    OrganisationIn,
    OrganisationList,
    OrganisationOut,
    TrailOut,
)
from shared.identity.admin.views import invitation_url, organisation_views, takes_effect
from shared.identity.guards import SessionDependency
from shared.identity.invitations import (
    InvitationError,
    accept_invitation,
    issue_invitation,
    list_invitations,
    withdraw_invitation,
)
from shared.identity.registry import (
    MembershipRecord,
    RegistryError,
    create_organisation,
    get_organisation,
    grant,
    list_memberships,
    list_organisations,
    revoke_membership,
    update_organisation,
)
from shared.identity.territory.store import TerritoryStore
from shared.identity.trail import MAX_TRAIL_PAGE, list_changes
from shared.web.openapi import problems
from shared.web.problems import ProblemError

__all__ = ("admin_routes", "registry_problem")

_TAGS = ["registry"]
_SLUG = r"^[a-z0-9][a-z0-9-]{0,63}$"
SlugQuery = Annotated[str | None, QueryParameter(pattern=_SLUG, max_length=64)]
SubQuery = Annotated[str | None, QueryParameter(pattern=r"^[0-9a-f]{64}$", max_length=64)]


def registry_problem(exc: RegistryError) -> ProblemError:
    """A refused change as a problem: 409 for a taken slug, else 422 saying what to fix."""
    if exc.code == "organisation-exists":
        return ProblemError(409, exc.code, "The organisation exists already", str(exc))
    return ProblemError(422, exc.code, "The registry refused this change", str(exc))


def _invitation_problem(exc: InvitationError) -> ProblemError:
    status = 404 if exc.code == "invitation-unknown" else 409
    return ProblemError(status, exc.code, "The invitation grants nothing", str(exc))


def _membership(record: MembershipRecord) -> MembershipOut:
    return MembershipOut(
        id=record.id,
        sub=record.sub,
        role=record.role,
        organisation=record.organisation,
        permissions=record.permissions,
        granted_at=record.granted_at,
    )


def _store(request: Request[Any, Any, Any]) -> TerritoryStore:
    store: TerritoryStore = request.app.state.territory
    return store


@get(
    "/api/v1/admin/organisations",
    tags=_TAGS,
    summary="Every organisation, its territory named (admins)",
    guards=[admins_only],
)
async def organisations(request: Request[Any, Any, Any]) -> OrganisationList:
    found = await organisation_views(_store(request), await list_organisations())
    return OrganisationList(organisations=tuple(found))


@post(
    "/api/v1/admin/organisations",
    tags=_TAGS,
    summary="Register an organisation (admins)",
    guards=[admins_only],
    responses=problems(400, 409, 422),
)
async def create(
    request: Request[Any, Any, Any], data: JSONBody[OrganisationIn], session: SessionDependency
) -> OrganisationOut:
    try:
        record = await create_organisation(
            data.slug, data.name, data.territory, data.embed_origins, actor=session.sub
        )
    except RegistryError as exc:
        raise registry_problem(exc) from exc
    return (await organisation_views(_store(request), [record]))[0]


@get(
    "/api/v1/admin/organisations/{slug:str}",
    tags=_TAGS,
    summary="One organisation (admins)",
    guards=[admins_only],
)
async def organisation(request: Request[Any, Any, Any], slug: FromPath[str]) -> OrganisationOut:
    record = await get_organisation(slug)
    if record is None:
        raise NotFoundException(detail=f"no organisation {slug!r}")
    return (await organisation_views(_store(request), [record]))[0]


@put(
    "/api/v1/admin/organisations/{slug:str}",
    tags=_TAGS,
    summary="Change an organisation's name, territory and embedding sites (admins)",
    description=(
        "Its officials' sessions carry the new territory from their next sign-in or refresh."
    ),
    guards=[admins_only],
    responses=problems(400, 422),
)
async def edit(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    data: JSONBody[OrganisationEdit],
    session: SessionDependency,
) -> OrganisationOut:
    try:
        record = await update_organisation(
            slug, data.name, data.territory, data.embed_origins, actor=session.sub
        )
    except RegistryError as exc:
        raise registry_problem(exc) from exc
    if record is None:
        raise NotFoundException(detail=f"no organisation {slug!r}")
    return (await organisation_views(_store(request), [record]))[0]


@get(
    "/api/v1/admin/memberships",
    tags=_TAGS,
    summary="Memberships, of one organisation or one person (admins)",
    guards=[admins_only],
)
async def memberships(
    request: Request[Any, Any, Any], organisation: SlugQuery = None, sub: SubQuery = None
) -> MembershipList:
    found = await list_memberships(sub, organisation)
    return MembershipList(
        memberships=tuple(_membership(m) for m in found), takes_effect=takes_effect(request)
    )


@post(
    "/api/v1/admin/memberships",
    tags=_TAGS,
    summary="Grant a role by the person's pseudonymous id (admins)",
    description=(
        "Granting again replaces an official's permissions. Takes effect at the person's "
        "next sign-in or session refresh."
    ),
    guards=[admins_only],
    responses=problems(400, 422),
)
async def grant_role(data: JSONBody[GrantIn], session: SessionDependency) -> MembershipOut:
    try:
        record = await grant(
            data.sub, data.role, data.organisation, data.permissions, actor=session.sub
        )
    except RegistryError as exc:
        raise registry_problem(exc) from exc
    return _membership(record)


@post(
    "/api/v1/admin/memberships/{membership_id:int}/revoke",
    tags=_TAGS,
    status_code=200,
    summary="Revoke a membership (admins)",
    description=(
        "Takes effect at the person's next session refresh; with `end_sessions=true` their "
        "sessions end now on every device, so it takes effect at once."
    ),
    guards=[admins_only],
)
async def revoke_role(
    request: Request[Any, Any, Any],
    membership_id: FromPath[int],
    session: SessionDependency,
    end_sessions: Annotated[bool, QueryParameter()] = False,
) -> MembershipOut:
    record = await revoke_membership(membership_id, actor=session.sub)
    if record is None:
        raise NotFoundException(detail=f"no membership {membership_id}")
    if end_sessions:
        await request.app.state.identity.sign_out_everywhere(record.sub)
    return _membership(record)


@get(
    "/api/v1/admin/invitations",
    tags=_TAGS,
    summary="Invitations, of one organisation or all (admins); never their links",
    guards=[admins_only],
)
async def invitations(organisation: SlugQuery = None) -> InvitationList:
    found = await list_invitations(organisation)
    return InvitationList(invitations=tuple(InvitationOut.of(r) for r in found))


@post(
    "/api/v1/admin/invitations",
    tags=_TAGS,
    summary="Make an invitation link bound to one grant (admins)",
    description=(
        "The link works once, for whoever opens it signed in, until it expires. Its secret "
        "is returned this once and never stored."
    ),
    guards=[admins_only],
    responses=problems(400, 422),
)
async def invite(
    request: Request[Any, Any, Any], data: JSONBody[InvitationIn], session: SessionDependency
) -> IssuedInvitationOut:
    try:
        issued = await issue_invitation(
            data.role, data.organisation, data.permissions, hours=data.hours, actor=session.sub
        )
    except RegistryError as exc:
        raise registry_problem(exc) from exc
    return IssuedInvitationOut(
        invitation=InvitationOut.of(issued.invitation),
        url=invitation_url(request, issued.token),
    )


@post(
    "/api/v1/admin/invitations/{invitation_id:int}/withdraw",
    tags=_TAGS,
    status_code=200,
    summary="Withdraw an unused invitation (admins)",
    guards=[admins_only],
)
async def withdraw(invitation_id: FromPath[int], session: SessionDependency) -> InvitationOut:
    record = await withdraw_invitation(invitation_id, actor=session.sub)
    if record is None:
        raise NotFoundException(detail=f"no unused invitation {invitation_id}")
    return InvitationOut.of(record)


@post(
    "/api/v1/invitations/{token:str}/accept",
    tags=_TAGS,
    status_code=200,
    summary="Accept an invitation link: its role is granted to the caller",
    description=(
        "Needs a confirmed Gosuslugi account. The role reaches the caller's session at their "
        "next sign-in or session refresh (POST /auth/refresh)."
    ),
    responses=problems(409, 422),
)
async def accept(token: FromPath[str], session: SessionDependency) -> MembershipOut:
    if not session.trusted:
        raise ProblemError(
            403,
            "account-not-confirmed",
            "Confirmed account required",
            "Roles are granted to confirmed Gosuslugi accounts only: confirm yours first.",
        )
    try:
        record = await accept_invitation(token, session.sub)
    except InvitationError as exc:
        raise _invitation_problem(exc) from exc
    except RegistryError as exc:
        raise registry_problem(exc) from exc
    return _membership(record)


@get(
    "/api/v1/admin/trail",
    tags=_TAGS,
    summary="The registry's audit trail, newest first (admins, auditors)",
    description=(
        "Who (an admin's pseudonymous id, or cli), what, when, before and after. Pages of "
        f"at most {MAX_TRAIL_PAGE}; pass `before` from `next_before` for older changes."
    ),
    guards=[trail_readers_only],
)
async def trail(
    before: Annotated[int | None, QueryParameter(ge=1, le=2**62)] = None,
    limit: Annotated[int, QueryParameter(ge=1, le=MAX_TRAIL_PAGE)] = 50,
) -> TrailOut:
    page = await list_changes(before, limit)
    return TrailOut(changes=page.changes, next_before=page.next_before)


def admin_routes() -> list[ControllerRouterHandler]:
    return [
        organisations,
        create,
        organisation,
        edit,
        memberships,
        grant_role,
        revoke_role,
        invitations,
        invite,
        withdraw,
        accept,
        trail,
    ]
