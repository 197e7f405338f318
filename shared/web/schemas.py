"""The two bases of every wire struct of every service.

A request body refuses fields it does not define (a 400 naming them, rather than a typo
silently ignored); a response body is keyword-only so adding a field never reorders another.
"""

from __future__ import annotations

import msgspec

__all__ = ("Input", "Output")


class Input(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Base of every request body: unknown fields are a 400, not silently ignored."""


class Output(msgspec.Struct, kw_only=True):
    """Base of every response body."""
