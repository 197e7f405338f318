"""The kinds of event a citizen may be notified of, and the channels."""

from __future__ import annotations

from enum import StrEnum

__all__ = ("Channel", "Kind")


class Kind(StrEnum):
    RESPONSE = "response"
    """An official responded to my comment (discussions)."""
    POLL_OPENED = "poll_opened"
    """A poll open to my municipality began (polls)."""
    RESULT = "result"
    """A result was published: a poll's tally of my municipality, the report of a comment
    period I commented in."""


class Channel(StrEnum):
    EMAIL = "email"
    IN_APP = "in_app"
