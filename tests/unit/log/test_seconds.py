"""Times in signed texts: one spelling out, only that spelling in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from shared.log.seconds import format_utc_seconds, parse_utc_seconds


class _RefusedError(ValueError):
    pass


def test_a_time_in_any_zone_is_written_in_utc_and_read_back() -> None:
    moscow = timezone(timedelta(hours=3))
    at = datetime(2025, 11, 25, 17, 3, 7, tzinfo=moscow)
    text = format_utc_seconds(at)
    assert text == "2025-11-25T14:03:07Z"
    assert parse_utc_seconds(text, "receipt time", _RefusedError) == at.astimezone(UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2025-11-25T14:03:07+00:00",
        "2025-11-25 14:03:07Z",
        "2025-11-25T14:03:07.5Z",
        "",
        "٢٠٢٥-11-25T14:03:07Z",
    ],
)
def test_any_other_spelling_is_refused_with_the_callers_error(text: str) -> None:
    with pytest.raises(_RefusedError, match=r"^certificate time .* is not YYYY-MM-DDTHH:MM:SSZ$"):
        parse_utc_seconds(text, "certificate time", _RefusedError)


def test_an_impossible_date_is_refused() -> None:
    with pytest.raises(_RefusedError, match="is not a valid date and time"):
        parse_utc_seconds("2025-02-30T14:03:07Z", "receipt time", _RefusedError)
