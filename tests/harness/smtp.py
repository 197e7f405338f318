"""A real SMTP server for tests (aiosmtpd) on a free port, keeping every message it accepts;
it can be stopped and started again on the same port to play a relay that is down."""

from __future__ import annotations

import email
import email.policy
import socket
import time
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

__all__ = ("MailCatcher", "body_of", "free_port", "wait_for")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class _Keep:
    def __init__(self, catcher: MailCatcher) -> None:
        self.catcher = catcher

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 - aiosmtpd's hook name
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.catcher.messages.append((list(envelope.rcpt_tos), message))
        return "250 OK"


class MailCatcher:
    def __init__(self) -> None:
        self.port = free_port()
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(_Keep(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def to(self, address: str) -> list[EmailMessage]:
        return [message for rcpt, message in self.messages if address in rcpt]

    def environ(self) -> dict[str, Any]:
        return {
            "VMESTE_SMTP_HOST": "127.0.0.1",
            "VMESTE_SMTP_PORT": str(self.port),
            "VMESTE_SMTP_FROM": "Вместе <noreply@vmeste.test>",
            "VMESTE_SMTP_TLS": "none",
        }


def body_of(message: EmailMessage) -> str:
    part = message.get_body(("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content


def wait_for(predicate: Any, timeout_s: float = 15.0) -> None:
    """Blocking wait, for synchronous (browser) tests."""
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)
