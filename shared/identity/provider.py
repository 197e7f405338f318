"""The identity provider interface both implementations (ESIA, development) satisfy."""

from __future__ import annotations

from typing import Protocol

from shared.identity.person import VerifiedPerson

__all__ = ("IdentityProvider", "IdentityRefusedError", "ProviderUnavailableError")


class IdentityRefusedError(Exception):
    """The provider answered, but sign-in cannot succeed; ``slug`` and ``title`` are shown
    to the person as a problem+json 403 and should tell them what to do."""

    def __init__(self, slug: str, title: str, detail: str) -> None:
        super().__init__(f"{slug}: {detail}")
        self.slug = slug
        self.title = title
        self.detail = detail


class ProviderUnavailableError(Exception):
    """The provider (or the signer) did not answer properly; trying again later may work."""


class IdentityProvider(Protocol):
    """An OAuth2-style authorization code flow, reduced to its two steps.

    ``start`` is async because the ESIA client secret is a signature made by a remote
    signer; the development provider simply returns its own page.
    """

    @property
    def name(self) -> str: ...

    async def start(self, state: str) -> str:
        """The URL to send the browser to; ``state`` comes back with the callback."""
        ...

    async def complete(self, code: str, state: str) -> VerifiedPerson:
        """Exchange the callback's code for the person; raises IdentityRefusedError or
        ProviderUnavailableError."""
        ...
