"""Citizens' text is shown inert: markup escaped, hidden and bidi controls made visible."""

from __future__ import annotations

from shared.web.inert_text import inert_html


def test_markup_is_escaped() -> None:
    assert inert_html('<script>alert("x")</script>') == (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"
    )


def test_right_to_left_override_is_shown_not_obeyed() -> None:
    shown = inert_html("счёт\u202efdp.exe")
    assert "\u202e" not in shown
    assert '<span class="ctl" title="U+202E">⟨U+202E⟩</span>' in shown
    assert shown.startswith("счёт")


def test_zero_width_and_isolate_characters_are_visible() -> None:
    shown = inert_html("a\u200bb\u2066c\u2069\ufeff")
    for code in ("U+200B", "U+2066", "U+2069", "U+FEFF"):
        assert f"⟨{code}⟩" in shown
    assert not any(ch in shown for ch in "\u200b\u2066\u2069\ufeff")


def test_ordinary_text_is_unchanged() -> None:
    text = "Предлагаю сохранить деревья во дворах, — и скамейки!"
    assert inert_html(text) == text
