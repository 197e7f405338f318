"""``{% kept %}``: a part rendered once per key, afresh for a key of none."""

from __future__ import annotations

import pytest

from shared.web.ui import fragments
from shared.web.ui.templating import make_environment

SOURCE = "[{% kept key %}{{ shown() }}{% endkept %}]"


class _Counter:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        return f"<b>{self.calls}</b>"


def test_one_key_renders_once_and_is_reused() -> None:
    template, shown = make_environment().from_string(SOURCE), _Counter()
    first = template.render(key=("poll", "p1", 1, "ru"), shown=shown)
    again = template.render(key=("poll", "p1", 1, "ru"), shown=shown)
    assert first == again == "[&lt;b&gt;1&lt;/b&gt;]"  # escaped once, kept as rendered
    assert shown.calls == 1


def test_another_key_renders_afresh() -> None:
    template, shown = make_environment().from_string(SOURCE), _Counter()
    template.render(key=("poll", "p1", 1, "ru"), shown=shown)
    assert template.render(key=("poll", "p1", 2, "ru"), shown=shown) == "[&lt;b&gt;2&lt;/b&gt;]"
    assert template.render(key=("poll", "p1", 2, "en"), shown=shown) == "[&lt;b&gt;3&lt;/b&gt;]"


def test_a_key_of_none_is_never_kept() -> None:
    template, shown = make_environment().from_string(SOURCE), _Counter()
    template.render(key=None, shown=shown)
    template.render(key=None, shown=shown)
    assert shown.calls == 2


def test_environments_keep_their_own_parts() -> None:
    shown = _Counter()
    make_environment().from_string(SOURCE).render(key="k", shown=shown)
    make_environment().from_string(SOURCE).render(key="k", shown=shown)
    assert shown.calls == 2


def test_parts_beyond_the_size_bound_drop_every_kept_part(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fragments, "_MAX_KEPT_CHARACTERS", 70)
    template, shown = make_environment().from_string(SOURCE), _Counter()
    for key in ("a", "b", "c"):  # 20 characters each (escaped): 60 kept
        template.render(key=key, shown=shown)
    template.render(key="a", shown=shown)
    assert shown.calls == 3  # still kept
    template.render(key="d", shown=shown)  # 80 > 70: everything kept so far is dropped
    template.render(key="d", shown=shown)
    assert shown.calls == 4  # the new one is kept
    template.render(key="a", shown=shown)
    assert shown.calls == 5  # the old ones were dropped
