"""Abuse limits of the polls service (see shared.web.ratelimit)."""

import re

from shared.web.ratelimit import SIGN_IN_RULES, Limit, RateLimitRule

__all__ = ("RULES",)

RULES = (
    *SIGN_IN_RULES,
    # One ballot per voter and poll is enforced by the gate and the database; this only stops
    # a client hammering the endpoint. An address may be a whole office or a mobile carrier's
    # NAT, hence the generous per-address figure.
    RateLimitRule(
        name="cast",
        path=re.compile(r"^(/api/v1/polls/[^/]+/ballots|/polls/[^/]+/ballot)$"),
        methods=frozenset({"POST"}),
        per_subject=Limit(10, 60),
        per_address=Limit(1200, 60),
    ),
)
