"""CSRF tokens bound to the sign-in session.

A browser attaches the session cookie to any request to our host, including a form or a
``fetch`` started by another site, so a request that changes something and is authenticated by
the cookie must also prove it came from one of our pages. Its proof is a token only our pages
show: ``HMAC(key, session id)``, with a key derived from the pepper. Another site cannot read
our pages, and a token seen by someone else's session (or planted through a cookie) is useless
for this one, since the session id is part of it. Nothing is stored: any replica recomputes
the token from the session the request presents.

Requests authenticated by ``Authorization: Bearer`` need no token: a browser never adds that
header on its own.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from shared.web.problems import ProblemError

__all__ = ("CSRF_FIELD", "CSRF_HEADER", "CsrfTokens")

CSRF_FIELD = "csrf_token"
"""The hidden field of every page form."""
CSRF_HEADER = "x-csrf-token"
"""The header a page's own script sends with an API request authenticated by the cookie."""
_LABEL = b"vmeste/csrf/v1\x00"


class CsrfTokens:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def for_session(self, sid: str) -> str:
        """The token of the sign-in session ``sid`` (43 URL-safe characters)."""
        digest = hmac.new(self._key, _LABEL + sid.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def matches(self, sid: str, presented: str | None) -> bool:
        """Whether ``presented`` is the token of ``sid``, compared in constant time."""
        if not presented:
            return False
        try:
            given = presented.encode("ascii")
        except UnicodeEncodeError:  # no token of ours has such characters; not a server error
            return False
        return hmac.compare_digest(self.for_session(sid).encode(), given)

    def check(self, sid: str, presented: str | None) -> None:
        """Refuse the request (403 ``csrf-refused``) unless ``presented`` is the token of
        ``sid``: the one refusal of page forms and of sign-out everywhere."""
        if not self.matches(sid, presented):
            raise ProblemError(
                403,
                "csrf-refused",
                "Form expired",
                "The form was not sent from this site's page or has expired. Reload the page "
                "and send it again.",
            )
