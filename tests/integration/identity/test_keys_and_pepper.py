"""Signing keys and the pepper: generated once, owner-only, shared by concurrent starters."""

from __future__ import annotations

import stat
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from shared.config import MissingSettingError
from shared.identity.keys import SessionKeyRing, rotate_session_key
from shared.identity.pseudonym import load_pepper


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    first = SessionKeyRing.load(tmp_path, create=True)
    second = SessionKeyRing.load(tmp_path, create=True)
    assert first.current_kid == second.current_kid
    assert _mode(tmp_path / "session" / f"{first.current_kid}.pem") == 0o600


def test_concurrent_first_starts_agree_on_one_key_and_pepper(tmp_path: Path) -> None:
    with ThreadPoolExecutor(4) as pool:
        kids = set(
            pool.map(lambda _: SessionKeyRing.load(tmp_path, create=True).current_kid, range(8))
        )
        peppers = set(pool.map(lambda _: load_pepper(tmp_path, create=True, environ={}), range(8)))
    assert len(kids) == 1
    assert len(peppers) == 1
    assert _mode(tmp_path / "pepper") == 0o600


def test_rotation_keeps_older_keys_for_verification(tmp_path: Path) -> None:
    old = SessionKeyRing.load(tmp_path, create=True)
    new_kid = rotate_session_key(tmp_path)
    ring = SessionKeyRing.load(tmp_path, create=False)
    assert ring.current_kid == new_kid != old.current_kid
    assert set(ring.public_keys) == {old.current_kid, new_kid}


def test_production_without_keys_fails_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(MissingSettingError) as caught:
        SessionKeyRing.load(tmp_path, create=False)
    assert caught.value.name == "VMESTE_KEYS_DIR"
