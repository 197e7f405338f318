"""Key ring: files, permissions, rotation."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from shared.log.checkpoint import Checkpoint, open_checkpoint, sign_checkpoint
from shared.log.keys import KeyRing, KeyRingError
from shared.log.note import Signer, Verifier

NAME = "vmeste.example/polls"


def test_first_start_creates_a_private_key_folder(tmp_path: Path) -> None:
    folder = tmp_path / "keys"
    ring = KeyRing.load_or_create(folder, NAME)
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    key_file = folder / f"{ring.active.key_id:08x}.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().startswith(f"PRIVATE+KEY+{NAME}+")
    again = KeyRing.load_or_create(folder, NAME)
    assert again.verifier_keys() == ring.verifier_keys()


def test_rotation_keeps_old_keys_for_verification(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path, NAME)
    old = ring.active
    old_note = sign_checkpoint(Checkpoint("o", 1, b"\x00" * 32), old)
    new = ring.rotate(folder=tmp_path)
    assert ring.active == new != old
    loaded = KeyRing.load(tmp_path)
    assert loaded.active.key_id == new.key_id
    assert len(loaded.verifier_keys()) == 2
    assert loaded.verifier_keys()[0] == str(new.verifier)
    verifiers = [Verifier.parse(k) for k in loaded.verifier_keys()]
    open_checkpoint(old_note, verifiers)


def test_from_signer_keys_reads_secret_strings() -> None:
    first, second = Signer.generate(NAME), Signer.generate(NAME)
    ring = KeyRing.from_signer_keys([f"{first}\n", str(second), ""], active=f"{second.key_id:08x}")
    assert ring.active.key_id == second.key_id
    assert ring.verifier_keys() == (str(second.verifier), str(first.verifier))
    with pytest.raises(KeyRingError, match="no signer keys"):
        KeyRing.from_signer_keys([" "])


def test_missing_active_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(KeyRingError, match="ACTIVE is missing"):
        KeyRing.load(tmp_path)


def test_corrupt_key_file_is_named(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path, NAME)
    path = tmp_path / f"{ring.active.key_id:08x}.key"
    path.write_text("PRIVATE+KEY+broken\n")
    with pytest.raises(KeyRingError, match=path.name):
        KeyRing.load(tmp_path)


def test_key_file_named_after_another_key_is_refused(tmp_path: Path) -> None:
    ring = KeyRing.load_or_create(tmp_path, NAME)
    path = tmp_path / f"{ring.active.key_id:08x}.key"
    path.rename(tmp_path / "00000000.key")
    with pytest.raises(KeyRingError, match="not 00000000"):
        KeyRing.load(tmp_path)


def test_active_key_must_be_in_the_ring(tmp_path: Path) -> None:
    KeyRing.load_or_create(tmp_path, NAME)
    (tmp_path / "ACTIVE").write_text("deadbeef\n")
    with pytest.raises(KeyRingError, match="deadbeef is not in the key ring"):
        KeyRing.load(tmp_path)
