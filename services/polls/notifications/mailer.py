"""Sending one e-mail through the SMTP relay (aiosmtplib)."""

from __future__ import annotations

import uuid
from email.message import EmailMessage
from email.utils import formatdate

import aiosmtplib

from services.polls.notifications.settings import MailSettings
from shared.outbox import DeliveryFailedError

__all__ = ("Mailer",)


class Mailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings

    async def send(self, message_id: uuid.UUID, to: str, subject: str, body: str) -> None:
        """Send one message; :class:`DeliveryFailedError` (retried) if the relay is unreachable
        or refuses. Its Message-ID is the outbox id, so a repeat is recognisable as one."""
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = to
        mail["Subject"] = subject
        mail["Date"] = formatdate(usegmt=True)
        domain = self.settings.sender.rsplit("@", 1)[-1].strip(">").strip() or "vmeste"
        mail["Message-ID"] = f"<{message_id}@{domain}>"
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(body)
        s = self.settings
        try:
            await aiosmtplib.send(
                mail,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                use_tls=s.tls == "tls",
                start_tls=s.tls == "starttls",
                timeout=s.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError) as exc:
            # The relay's own text may quote the address: only the kind of failure is kept.
            raise DeliveryFailedError(f"SMTP: {type(exc).__name__}") from None
