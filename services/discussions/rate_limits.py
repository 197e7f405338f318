"""Abuse limits of the discussions service (see shared.web.ratelimit)."""

import re

from shared.web.ratelimit import SIGN_IN_RULES, Limit, RateLimitRule

__all__ = ("RULES",)

RULES = (
    *SIGN_IN_RULES,
    # A person writes a comment in minutes, not seconds; an office behind one address may
    # hold many people.
    RateLimitRule(
        name="comment",
        path=re.compile(r"^(/api/v1/periods/[^/]+/comments|/discussions/[^/]+/comments)$"),
        methods=frozenset({"POST"}),
        per_subject=Limit(5, 60),
        per_address=Limit(120, 60),
    ),
)
