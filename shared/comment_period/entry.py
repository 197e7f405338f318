"""The comment log entry (format ``vmeste-comment/v1``): what enters the Merkle log.

The entry is canonical bytes (:func:`shared.canonical.canonical_bytes`) of
:class:`CommentEntry`, in this field order: ``format``, ``period``, ``draft``,
``draft_version``, ``section`` ("" for the whole draft), ``stance``, ``content``, ``nonce``.

It names no author. It does not carry the text either, but a commitment to it:
``content = SHA-256(salt ‖ canonical_bytes(CommentContent(text, proposed_wording)))`` with a
secret random 128-bit ``salt``. The board is public and append-only, so a comment later
rejected for personal data or profanity must not be readable there for ever; the report
reveals ``salt``, text and wording of every *published* comment, and anyone can check that
they open the commitment, i.e. that the published text is exactly what was submitted. The
public random ``nonce`` makes every entry unique.

The same log also holds the authors' ratings of official responses (format
``vmeste-rating/v1``, :class:`RatingEntry`): ``format``, ``period``, ``comment`` (the hex
leaf hash of the rated comment's entry) and ``rating`` (1 to 5). A comment is rated once, so
the entry is unique without a nonce; it names no author either.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

import msgspec

from shared.canonical import canonical_bytes

__all__ = (
    "ENTRY_FORMAT",
    "RATING_FORMAT",
    "CommentContent",
    "CommentEntry",
    "RatingEntry",
    "Stance",
    "commit",
    "is_rating",
    "make_entry",
    "make_rating_entry",
    "opens",
)

ENTRY_FORMAT = "vmeste-comment/v1"
RATING_FORMAT = "vmeste-rating/v1"
_RATING_PREFIX = b'{"format":"vmeste-rating/v1",'


class Stance(StrEnum):
    SUPPORT = "support"
    OBJECT = "object"
    PROPOSE_WORDING = "propose_wording"


class CommentContent(msgspec.Struct, frozen=True, kw_only=True):
    """What the commitment covers."""

    text: str
    proposed_wording: str


class CommentEntry(msgspec.Struct, frozen=True, kw_only=True):
    format: str = ENTRY_FORMAT
    period: str
    draft: str
    draft_version: int
    section: str
    stance: str
    content: bytes
    nonce: bytes


class RatingEntry(msgspec.Struct, frozen=True, kw_only=True):
    format: str = RATING_FORMAT
    period: str
    comment: str
    """Hex leaf hash of the rated comment's entry."""
    rating: int


def is_rating(entry: bytes) -> bool:
    """Whether a log entry is a rating: canonical bytes put ``format`` first."""
    return entry.startswith(_RATING_PREFIX)


def make_rating_entry(*, period: str, comment_hash: bytes, rating: int) -> bytes:
    return canonical_bytes(RatingEntry(period=period, comment=comment_hash.hex(), rating=rating))


def commit(salt: bytes, text: str, proposed_wording: str) -> bytes:
    content = canonical_bytes(CommentContent(text=text, proposed_wording=proposed_wording))
    return hashlib.sha256(salt + content).digest()


def opens(entry: CommentEntry, salt: bytes, text: str, proposed_wording: str) -> bool:
    """True if ``salt``, ``text`` and ``proposed_wording`` open the entry's commitment."""
    return secrets.compare_digest(commit(salt, text, proposed_wording), entry.content)


def make_entry(
    *,
    period: str,
    draft: str,
    draft_version: int,
    section: str,
    stance: Stance,
    text: str,
    proposed_wording: str,
) -> tuple[bytes, bytes]:
    """The entry bytes and the secret salt to keep beside the comment."""
    salt = secrets.token_bytes(16)
    entry = CommentEntry(
        period=period,
        draft=draft,
        draft_version=draft_version,
        section=section,
        stance=stance.value,
        content=commit(salt, text, proposed_wording),
        nonce=secrets.token_bytes(16),
    )
    return canonical_bytes(entry), salt
