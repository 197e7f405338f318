"""The outbox's back-off between attempts."""

from __future__ import annotations

import datetime as dt

from shared.outbox import retry_delay


def test_retry_delay_grows_and_is_capped() -> None:
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3)] == [1, 2, 4]
    assert retry_delay(50) == dt.timedelta(minutes=10)
