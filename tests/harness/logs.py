"""Every log line a process emits while a test runs, as the log reader would read them."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator

from structlog.testing import capture_logs

__all__ = ("captured_logs",)


class _Keep(logging.Handler):
    def __init__(self, lines: list[str]) -> None:
        super().__init__(level=logging.DEBUG)
        self._lines = lines
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        text = f"{record.name} {record.levelname} {record.getMessage()}"
        if record.exc_info:
            text += "\n" + self._formatter.formatException(record.exc_info)
        self._lines.append(text)


@contextlib.contextmanager
def captured_logs() -> Iterator[list[str]]:
    """The lines of the standard library's loggers (as their levels let through) and of
    structlog's, filled in when the block ends. Enter it after building the app: building
    it configures logging afresh."""
    lines: list[str] = []
    handler = _Keep(lines)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with capture_logs() as events:
            yield lines
    finally:
        root.removeHandler(handler)
        lines.extend(repr(event) for event in events)
