"""`vmeste keys` creates what is missing, never replaces a key, and rotates keeping old ones."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app as cli
from shared.identity.keys import PublicSessionKeyRing, SessionKeyRing
from shared.identity.tokens import SessionClaims, TokenService
from shared.log.note import Verifier
from shared.log.receipt import Receipt, issue_receipt, verify_receipt
from shared.log.service import load_log_keys


def _files(folder: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in folder.rglob("*") if p.is_file() and p.name != ".lock"}


def test_first_run_creates_keys_and_a_second_changes_nothing(tmp_path: Path) -> None:
    first = CliRunner().invoke(cli, ["keys", "--keys-dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    published = [line for line in first.stdout.splitlines() if "+" in line]
    assert {k.split("+")[0] for k in published} == {"vmeste-polls", "vmeste-discussions"}
    for key in published:
        Verifier.parse(key)
    before = _files(tmp_path)
    assert (tmp_path / "pepper").stat().st_mode & 0o077 == 0
    again = CliRunner().invoke(cli, ["keys", "--keys-dir", str(tmp_path)])
    assert again.exit_code == 0
    assert _files(tmp_path) == before


def test_rotation_keeps_old_signatures_verifiable(tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["keys", "--keys-dir", str(tmp_path)])
    old = load_log_keys(tmp_path, "polls")
    receipt = Receipt("vmeste.test/polls/p1", bytes(range(32)), dt.datetime.now(dt.UTC))
    note = issue_receipt(receipt, old.active)
    result = CliRunner().invoke(cli, ["keys", "rotate", "log-polls", "--keys-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rotated = load_log_keys(tmp_path, "polls")
    assert rotated.active.key_id != old.active.key_id
    verify_receipt(note, rotated.verifiers())
    session = CliRunner().invoke(cli, ["keys", "rotate", "session", "--keys-dir", str(tmp_path)])
    assert session.exit_code == 0
    assert len(list((tmp_path / "session").glob("*.pem"))) == 2


def test_rotating_an_unknown_key_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["keys", "rotate", "everything", "--keys-dir", str(tmp_path)])
    assert result.exit_code == 2


def test_public_session_keys_verify_the_sign_in_components_tokens_and_sign_none(
    tmp_path: Path,
) -> None:
    keys, public = tmp_path / "keys", tmp_path / "public"
    CliRunner().invoke(cli, ["keys", "--keys-dir", str(keys)])
    CliRunner().invoke(cli, ["keys", "rotate", "session", "--keys-dir", str(keys)])
    result = CliRunner().invoke(cli, ["keys", "public", str(public), "--keys-dir", str(keys)])
    assert result.exit_code == 0, result.output
    ring = SessionKeyRing.load(keys, create=False)
    # Every key, not only the current one: tokens signed before a rotation still verify.
    assert sorted(p.name for p in public.iterdir()) == sorted(f"{k}.pub" for k in ring.public_keys)
    assert all(b"PRIVATE" not in p.read_bytes() for p in public.iterdir())
    (tmp_path / "verifier" / "session").mkdir(parents=True)
    for path in public.iterdir():
        (tmp_path / "verifier" / "session" / path.name).write_bytes(path.read_bytes())
    verifier = TokenService(
        PublicSessionKeyRing.load(tmp_path / "verifier"), lifetime=dt.timedelta(minutes=15)
    )
    claims = SessionClaims(
        sub="d" * 64,
        trusted=True,
        birth_date=dt.date(1990, 1, 1),
        oktmo="71701000",
        region="71",
        roles=("citizen",),
        orgs=(),
        sid="s1",
    )
    token, _ = TokenService(ring, lifetime=dt.timedelta(minutes=15)).issue(claims)
    assert verifier.verify(token).sub == "d" * 64
    assert not verifier.can_issue
    with pytest.raises(RuntimeError, match="no signing key"):
        verifier.issue(claims)


def test_exporting_public_keys_without_a_key_ring_is_refused(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["keys", "public", str(tmp_path / "out"), "--keys-dir", str(tmp_path / "none")]
    )
    assert result.exit_code == 2
    assert "VMESTE_KEYS_DIR" in result.output
