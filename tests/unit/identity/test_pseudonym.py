"""The pseudonymous subject: keyed, stable, and never the oid itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.config import MissingSettingError
from shared.identity.pseudonym import load_pepper, pseudonym


def test_pseudonym_is_hmac_sha256_hex() -> None:
    # RFC 2104-style known answer (the well-known "quick brown fox" HMAC-SHA256 vector).
    assert (
        pseudonym(b"key", "The quick brown fox jumps over the lazy dog")
        == "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"
    )


def test_same_person_same_pseudonym_and_the_oid_does_not_show() -> None:
    pepper = b"p" * 32
    sub = pseudonym(pepper, "1000299654")
    assert sub == pseudonym(pepper, "1000299654")
    assert "1000299654" not in sub
    assert len(sub) == 64


def test_other_pepper_or_other_person_gives_another_pseudonym() -> None:
    assert pseudonym(b"p" * 32, "1") != pseudonym(b"q" * 32, "1")
    assert pseudonym(b"p" * 32, "1") != pseudonym(b"p" * 32, "2")


def test_pepper_from_environment_wins() -> None:
    folder = Path("/nonexistent/never-created")
    pepper = load_pepper(folder, create=True, environ={"VMESTE_PEPPER": "x" * 40})
    assert pepper == b"x" * 40
    assert not folder.exists()


def test_short_pepper_is_refused_naming_the_variable() -> None:
    with pytest.raises(MissingSettingError) as caught:
        load_pepper(Path("/nonexistent"), create=False, environ={"VMESTE_PEPPER": "short"})
    assert caught.value.name == "VMESTE_PEPPER"


def test_missing_pepper_outside_development_is_refused() -> None:
    with pytest.raises(MissingSettingError) as caught:
        load_pepper(Path("/nonexistent"), create=False, environ={})
    assert caught.value.name == "VMESTE_PEPPER"
