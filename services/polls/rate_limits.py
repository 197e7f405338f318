"""Abuse limits of the polls service (see shared.web.ratelimit)."""

import re

from shared.web.ratelimit import SIGN_IN_RULES, Limit, RateLimitRule

__all__ = ("RULES",)

RULES = (
    *SIGN_IN_RULES,
    # One ballot per voter and poll is enforced by the gate and the database; this only stops
    # a client hammering the endpoint. Counted per signed-in subject only: an address may be a
    # whole office or a mobile carrier's NAT, and one abuser there must not lock out the rest
    # (an anonymous POST is refused by the identity check before it does any work).
    RateLimitRule(
        name="cast",
        path=re.compile(r"^(/api/v1/polls/[^/]+/ballots|/polls/[^/]+/ballot)$"),
        methods=frozenset({"POST"}),
        per_subject=Limit(10, 60),
    ),
    # Each new address there is sent a confirmation mail: a person may not use the service
    # to flood other people's mailboxes.
    RateLimitRule(
        name="notification-settings",
        path=re.compile(r"^/notifications/settings$"),
        methods=frozenset({"POST"}),
        per_subject=Limit(20, 3600),
    ),
)
