"""Abuse limits of the discussions service (see shared.web.ratelimit)."""

import re

from shared.web.ratelimit import SIGN_IN_RULES, Limit, RateLimitRule

__all__ = ("RULES",)

RULES = (
    *SIGN_IN_RULES,
    # A person writes a comment in minutes, not seconds. Counted per signed-in subject only:
    # an office behind one address may hold many people, and one of them must not lock out
    # the rest.
    RateLimitRule(
        name="comment",
        path=re.compile(r"^(/api/v1/periods/[^/]+/comments|/discussions/[^/]+/comments)$"),
        methods=frozenset({"POST"}),
        per_subject=Limit(5, 60),
    ),
)
