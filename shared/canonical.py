"""The one canonical encoding for every hashed or signed structure (version 1).

Ballot entries, comment entries, tally results and any other structure whose bytes are hashed
into a Merkle log or signed go through :func:`canonical_bytes`, so that a verifier re-deriving
those bytes from the same values always obtains the same hash.

Rules of canonical encoding version 1 (enough to reimplement it in any language):

1. The value is a frozen ``msgspec.Struct``; it is encoded as a JSON object whose members are
   the struct's fields **in declaration order** (never sorted), every field present, including
   fields left at their default. A tagged struct puts its tag member first.
2. No insignificant whitespace anywhere: no spaces after ``:`` or ``,``, no trailing newline.
3. Output is UTF-8. Strings escape only ``"`` as ``\\"``, ``\\`` as ``\\\\``, the control
   characters U+0008, U+0009, U+000A, U+000C, U+000D as ``\\b \\t \\n \\f \\r``, and every
   other code point below U+0020 as ``\\u00XX`` with lowercase hex digits. Everything else,
   including ``/``, U+007F and all non-ASCII characters, is written as raw UTF-8.
4. Integers are plain decimal, no leading zeros, ``-`` for negatives. Floats are not allowed in
   canonical structures (their shortest-repr text is not portable); use integers of a stated
   unit or decimal strings instead.
5. ``bytes`` are standard base64 (RFC 4648 §4, ``+/`` alphabet) with ``=`` padding.
6. Dicts (mappings with string keys) are written with keys sorted by code point; sets and
   frozensets are written as arrays in sorted order; lists and tuples keep their order.
7. ``true``, ``false`` and ``null`` as in JSON; ``datetime`` values as RFC 3339 text (prefer
   integer Unix seconds or explicit strings in new structures).

Any change to these rules bumps :data:`CANONICAL_VERSION`; structures carry their own format
version field so old bytes stay verifiable with the rules they were made with.
"""

from __future__ import annotations

import msgspec

__all__ = ("CANONICAL_VERSION", "canonical_bytes")

CANONICAL_VERSION = 1
"""Version of the encoding rules above."""

# "deterministic" keeps struct fields in declaration order but sorts dict keys and sets, so two
# equal values never give two different byte strings.
_ENCODER = msgspec.json.Encoder(order="deterministic")


def canonical_bytes(obj: msgspec.Struct) -> bytes:
    """Return the canonical (version 1) bytes of a frozen struct.

    Raises:
        TypeError: ``obj`` is not a frozen ``msgspec.Struct``; a mutable value could change
            between hashing and storing, so it is refused.
    """
    if not isinstance(obj, msgspec.Struct) or not obj.__struct_config__.frozen:
        raise TypeError(f"canonical_bytes needs a frozen msgspec.Struct, got {type(obj).__name__}")
    return _ENCODER.encode(obj)
