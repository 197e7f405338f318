"""Rendering a page: the layout's context (language, CSRF token, who is signed in, links to
both services) added to the page's own, and the cookies that remember choices."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

from litestar import Request
from litestar.datastructures import Cookie, FormMultiDict
from litestar.enums import MediaType
from litestar.response import Redirect, Template

from shared.config import SIGN_IN_SERVICE
from shared.identity.claims import Permission, Role, Session
from shared.web.cookies import cookie_name
from shared.web.ui.compiled_messages import for_language
from shared.web.ui.csrf import CSRF_FIELD, check_csrf, csrf_token
from shared.web.ui.i18n import LANGUAGE_COOKIE, LANGUAGES, choose_language, translations

__all__ = (
    "SignInRequiredError",
    "SignedForm",
    "UiSettings",
    "current_session",
    "gettext",
    "local_redirect",
    "local_url",
    "page",
    "sign_in_redirect",
    "sign_in_url",
    "signed_form",
    "signed_in",
    "signed_in_form",
)

_YEAR_S = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class UiSettings:
    """What the layout needs to know about the deployment."""

    service: str
    """``polls`` or ``discussions``: the service rendering the page."""
    polls_url: str
    discussions_url: str
    secure_cookies: bool
    base_path: str = field(init=False, compare=False)
    """The path this service is published under (``/polls`` behind the ingress, which
    strips it before proxying; empty when the service is served from a host's root).
    Every link and redirect a page makes to its own service starts with it."""
    sign_out_urls: dict[str, str] = field(init=False, repr=False, compare=False)
    """The layout's sign-out links: sent to the service that rendered the page, which checks
    the form's CSRF token with its own key, and coming back to that service's home page."""

    def __post_init__(self) -> None:
        # Derived once: every page asks for them, some several times.
        own = self.url_of(self.service)
        query = "?" + urlencode({"next": own + "/"})
        derived = {
            "base_path": urlsplit(own).path.rstrip("/"),
            "sign_out_urls": {
                "sign_out_url": f"{own}/auth/logout{query}",
                "sign_out_everywhere_url": f"{own}/auth/logout/everywhere{query}",
            },
        }
        for name, value in derived.items():
            object.__setattr__(self, name, value)

    def url_of(self, service: str) -> str:
        """The public base URL of ``service``, without a trailing slash."""
        url = self.polls_url if service == "polls" else self.discussions_url
        return url.rstrip("/")


def ui_settings(request: Request[Any, Any, Any]) -> UiSettings:
    settings: UiSettings = request.app.state.ui
    return settings


def current_session(request: Request[Any, Any, Any]) -> Session | None:
    user = request.scope.get("user")
    return user if isinstance(user, Session) else None


class SignInRequiredError(Exception):
    """A page for signed-in people was asked for without a session; the pages' plugin
    answers it with the way to sign in (:func:`sign_in_redirect`)."""


class SignedForm(NamedTuple):
    """A page form that passed its CSRF check, and the session of the person who sent it."""

    form: FormMultiDict
    session: Session


def signed_in(request: Request[Any, Any, Any]) -> Session:
    """The session of the person asking for the page; :class:`SignInRequiredError` without one."""
    session = current_session(request)
    if session is None:
        raise SignInRequiredError
    return session


async def signed_form(request: Request[Any, Any, Any]) -> SignedForm:
    """A page form after its CSRF check, with the signer's session; :class:`SignInRequiredError`
    without a session.

    The session is looked at first: a form posted after the session ended leads to sign-in
    (a harmless redirect), not to a refusal of a token nobody could have had."""
    session = signed_in(request)
    form = await request.form()
    check_csrf(request, session, form.get(CSRF_FIELD))
    return SignedForm(form, session)


async def signed_in_form(
    request: Request[Any, Any, Any],
) -> tuple[FormMultiDict, Session] | Redirect:
    """:func:`signed_form`, or the way to sign in for a handler that answers it itself."""
    try:
        return await signed_form(request)
    except SignInRequiredError:
        return sign_in_redirect(request)


def sign_in_redirect(request: Request[Any, Any, Any], _: object = None) -> Redirect:
    """The 303 to sign in and come back to this page (also the handler of
    :class:`SignInRequiredError`)."""
    return Redirect(sign_in_url(request), status_code=303)


def local_url(request: Request[Any, Any, Any], path: str) -> str:
    """The public path of ``path`` (a route of this service, starting with ``/``)."""
    return ui_settings(request).base_path + path


def local_redirect(request: Request[Any, Any, Any], path: str) -> Redirect:
    """The 303 after a page form, to ``path`` of this service as the browser must ask for it."""
    return Redirect(local_url(request, path), status_code=303)


def gettext(request: Request[Any, Any, Any], message: str) -> str:
    """Translate a message for the request's language (for text made outside templates)."""
    return translations(choose_language(request)[0]).gettext(message)


def _issues_sessions(request: Request[Any, Any, Any]) -> bool:
    identity = getattr(request.app.state, "identity", None)
    return bool(getattr(identity, "issuing", True))


def sign_in_url(request: Request[Any, Any, Any]) -> str:
    """The sign-in link of this page, coming back to it afterwards.

    A service that signs people in itself links to its own /auth/login. One that only
    verifies sessions links to the sign-in component's, by its public URL, with this page's
    public URL as ``next`` (which the sign-in component accepts for the platform's own
    services only)."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if _issues_sessions(request):
        return local_url(request, "/auth/login?" + urlencode({"next": local_url(request, target)}))
    settings = ui_settings(request)
    own = settings.url_of(settings.service)
    return f"{settings.url_of(SIGN_IN_SERVICE)}/auth/login?" + urlencode({"next": own + target})


class _PageLinks(NamedTuple):
    sign_in_url: str
    language_links: dict[str, str]


_PAGE_LINKS: dict[tuple[UiSettings, bool, str, str], _PageLinks] = {}
_MAX_PAGE_LINKS = 4_096
"""Addresses whose layout links are kept: the pages being viewed now, a few hundred bytes
each; when full, the kept ones are dropped and made again as they are asked for."""
_MAX_KEPT_QUERY = 200
"""Longer queries (searches, mostly) are not kept: they bound the memory the links take."""


def _page_links(request: Request[Any, Any, Any]) -> _PageLinks:
    """The layout's links of this page: sign-in coming back to it, and the page in each
    language (its path and query, ``lang`` set). The same for every visitor of one address,
    so made once per address (bounded)."""
    url = request.url
    settings = ui_settings(request)
    key = (settings, _issues_sessions(request), url.path, url.query)
    found = _PAGE_LINKS.get(key)
    if found is not None:
        return found
    query = {k: v for k, v in request.query_params.items() if k != "lang"}
    public = local_url(request, url.path)
    links = _PageLinks(
        sign_in_url(request),
        {code: public + "?" + urlencode({**query, "lang": code}) for code in LANGUAGES},
    )
    if len(url.query) <= _MAX_KEPT_QUERY:
        if len(_PAGE_LINKS) >= _MAX_PAGE_LINKS:
            _PAGE_LINKS.clear()
        _PAGE_LINKS[key] = links
    return links


def page(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    """The page response: ``template`` rendered with ``context`` and the layout's context."""
    settings = ui_settings(request)
    language, remember = choose_language(request)
    session = current_session(request)
    links = _page_links(request)
    out = list(cookies or ())
    if remember:
        out.append(
            Cookie(
                key=cookie_name(LANGUAGE_COOKIE, secure=settings.secure_cookies),
                value=language,
                path="/",
                max_age=_YEAR_S,
                samesite="lax",
                secure=settings.secure_cookies,
            )
        )
    layout = {
        "lang": language,
        "language_links": links.language_links,
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(request),
        "session": session,
        "is_official": session is not None and any(grant.permissions for grant in session.orgs),
        "may_moderate": session is not None
        and bool(session.organisations_with(Permission.MODERATE.value)),
        "is_auditor": session is not None
        and (session.has_role(Role.AUDITOR.value) or session.has_role(Role.ADMIN.value)),
        "sign_in_url": links.sign_in_url,
        **settings.sign_out_urls,
        "polls_url": settings.polls_url.rstrip("/"),
        "discussions_url": settings.discussions_url.rstrip("/"),
        "service": settings.service,
        "current_path": request.url.path,
        "base": settings.base_path,
    }
    return Template(
        # Compiled for the page's language: its literal messages are translated already.
        template_name=for_language(language, template),
        context={**layout, **context},
        status_code=status_code,
        headers=headers,
        cookies=out,
        media_type=MediaType.HTML,
    )
