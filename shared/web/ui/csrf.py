"""CSRF protection of the pages' forms: the session's token in a hidden field.

Pages are authenticated by the session cookie, so a form posted from another site would carry
it. Every page form of a signed-in person carries the token of their session
(:class:`shared.identity.csrf.CsrfTokens`: an HMAC of the session id, which another site can
neither read nor compute), and the page checks it before doing anything. An anonymous visitor
has no token, and needs none: every form that changes something asks for a session first.
"""

from __future__ import annotations

from typing import Any

from litestar.connection import ASGIConnection

from shared.identity.claims import Session
from shared.identity.csrf import CSRF_FIELD, CSRF_HEADER, CsrfTokens

__all__ = ("CSRF_FIELD", "CSRF_HEADER", "check_csrf", "csrf_token")


def _tokens(connection: ASGIConnection[Any, Any, Any, Any]) -> CsrfTokens:
    tokens: CsrfTokens = connection.app.state.identity.csrf
    return tokens


def csrf_token(connection: ASGIConnection[Any, Any, Any, Any]) -> str:
    """The token a page renders into its forms: the session's, or none when anonymous."""
    user = connection.scope.get("user")
    if not isinstance(user, Session):
        return ""
    return _tokens(connection).for_session(user.sid)


def check_csrf(
    connection: ASGIConnection[Any, Any, Any, Any], session: Session, submitted: str | None
) -> None:
    """Refuse the request (403) unless ``submitted`` (form field, else header) is the token of
    ``session``."""
    _tokens(connection).check(session.sid, submitted or connection.headers.get(CSRF_HEADER))
