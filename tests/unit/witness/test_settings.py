"""Witness settings fail fast naming the variable, and a log is followed by its prefix."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from services.witness.cosigning.domain import FollowedLog, Witness
from services.witness.keys import KEY_FILE, load_witness_signer
from services.witness.settings import load_witness_settings
from shared.config import MissingSettingError
from shared.log.cosignature import WitnessSigner
from shared.log.note import Signer

POLLS = Signer.generate("vmeste-polls")
OTHER = Signer.generate("vmeste-polls-2")


def _logs(*entries: tuple[str, list[str]]) -> str:
    return json.dumps([{"origin_prefix": p, "keys": k} for p, k in entries])


def test_logs_come_from_the_variable_and_the_file(tmp_path: Path) -> None:
    file = tmp_path / "logs.json"
    file.write_text(_logs(("b.example/", [str(OTHER.verifier)])))
    settings = load_witness_settings(
        {
            "VMESTE_DATA_DIR": str(tmp_path),
            "VMESTE_WITNESS_LOGS": _logs(("a.example/polls/", [str(POLLS.verifier)])),
            "VMESTE_WITNESS_LOGS_FILE": str(file),
        }
    )
    assert [log.origin_prefix for log in settings.logs] == ["a.example/polls/", "b.example/"]
    assert settings.logs[0].keys == (POLLS.verifier,)
    assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/witness.sqlite"
    assert settings.keys_dir == (tmp_path / "keys").resolve()
    assert settings.name is None


def test_the_witness_database_defaults_to_sqlite_even_in_production(tmp_path: Path) -> None:
    environ = {
        "VMESTE_ENV": "prod",
        "VMESTE_DATA_DIR": str(tmp_path),
        "VMESTE_WITNESS_LOGS": _logs(("a/", [str(POLLS.verifier)])),
    }
    assert load_witness_settings(environ).database_url.startswith("sqlite:///")
    url = "postgresql://postgres@db:5432/witness"
    environ["VMESTE_WITNESS_DATABASE_URL"] = url
    assert load_witness_settings(environ).database_url == url


@pytest.mark.parametrize(
    ("environ", "variable"),
    [
        ({}, "VMESTE_WITNESS_LOGS"),
        ({"VMESTE_WITNESS_LOGS": "not json"}, "VMESTE_WITNESS_LOGS"),
        ({"VMESTE_WITNESS_LOGS": '[{"origin_prefix": "a/"}]'}, "VMESTE_WITNESS_LOGS"),
        ({"VMESTE_WITNESS_LOGS": _logs(("", [str(POLLS.verifier)]))}, "VMESTE_WITNESS_LOGS"),
        ({"VMESTE_WITNESS_LOGS": _logs(("a/", []))}, "VMESTE_WITNESS_LOGS"),
        ({"VMESTE_WITNESS_LOGS": _logs(("a/", ["vmeste+1234+AAAA"]))}, "VMESTE_WITNESS_LOGS"),
        (
            {"VMESTE_WITNESS_LOGS": _logs(("a/", [str(WitnessSigner.generate("w").key)]))},
            "VMESTE_WITNESS_LOGS",
        ),
        ({"VMESTE_WITNESS_LOGS_FILE": "/nonexistent/logs.json"}, "VMESTE_WITNESS_LOGS_FILE"),
    ],
)
def test_a_bad_logs_setting_names_its_variable(environ: dict[str, str], variable: str) -> None:
    with pytest.raises(MissingSettingError) as caught:
        load_witness_settings(environ)
    assert caught.value.name == variable


def test_a_log_is_followed_by_the_prefixes_its_origin_starts_with() -> None:
    witness = Witness(
        store=None,  # type: ignore[arg-type] # not touched by trusted_keys
        signer=WitnessSigner.generate("w"),
        logs=[
            FollowedLog("a.example/polls/", (POLLS.verifier,)),
            FollowedLog("a.example/", (OTHER.verifier, POLLS.verifier)),
        ],
    )
    assert witness.trusted_keys("a.example/polls/p1") == (POLLS.verifier, OTHER.verifier)
    assert witness.trusted_keys("a.example/discussions/d1") == (OTHER.verifier, POLLS.verifier)
    assert witness.trusted_keys("b.example/polls/p1") is None
    assert witness.trusted_keys("x.a.example/polls/p1") is None


def test_the_witness_key_keeps_its_name(tmp_path: Path) -> None:
    signer = load_witness_signer(tmp_path, None, default_name="vmeste-witness")
    assert signer.name == "vmeste-witness"
    assert (tmp_path / KEY_FILE).stat().st_mode & 0o077 == 0
    again = load_witness_signer(tmp_path, "vmeste-witness", default_name="other")
    assert again.key == signer.key
    with pytest.raises(MissingSettingError, match="VMESTE_WITNESS_NAME"):
        load_witness_signer(tmp_path, "witness.example/w2", default_name="x")
    with pytest.raises(MissingSettingError, match="VMESTE_WITNESS_NAME"):
        load_witness_signer(tmp_path / "new", "two words", default_name="x")


def test_a_key_given_in_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    given = WitnessSigner.generate("witness.example/w1")
    signer = load_witness_signer(tmp_path, None, str(given), default_name="x")
    assert signer.key == given.key
    assert not (tmp_path / KEY_FILE).exists()
    with pytest.raises(MissingSettingError, match="VMESTE_WITNESS_KEY"):
        load_witness_signer(tmp_path, None, "PRIVATE+KEY+broken", default_name="x")
