"""Citizens' text shown inert: escaped, with invisible and direction-changing characters
made visible instead of obeyed.

A comment is stored exactly as sent (it is in the log). When shown, a right-to-left override
(U+202E) could reverse the text around it and a zero-width character could hide a word from a
moderator's search; each is replaced by a visible marker such as ``⟨U+202E⟩``.
"""

from __future__ import annotations

import html
import re

__all__ = ("CONTROL_CHARACTERS", "inert_html")

CONTROL_CHARACTERS = re.compile(
    "[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff\u00ad]"
)


def _marker(match: re.Match[str]) -> str:
    code = f"U+{ord(match.group()):04X}"
    return f'<span class="ctl" title="{code}">⟨{code}⟩</span>'


def inert_html(text: str) -> str:
    """HTML for ``text``: every character escaped, every control character a visible marker."""
    return CONTROL_CHARACTERS.sub(_marker, html.escape(text))
