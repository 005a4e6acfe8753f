"""What the mail sandbox caught, in memory, and the SMTP sink that catches it."""

from __future__ import annotations

import email
import email.policy
import itertools
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class CaughtMail:
    id: int
    received_at: datetime
    envelope_to: tuple[str, ...]
    message: EmailMessage = field(repr=False)

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    @property
    def sender(self) -> str:
        return str(self.message["From"] or "")

    @property
    def to(self) -> str:
        return str(self.message["To"] or ", ".join(self.envelope_to))

    def body(self, subtype: str) -> str:
        part = self.message.get_body((subtype,))
        return str(part.get_content()) if part is not None else ""

    def attachments(self) -> list[Attachment]:
        found = []
        for part in self.message.iter_attachments():
            assert isinstance(part, EmailMessage)
            data = part.get_payload(decode=True)
            found.append(
                Attachment(
                    filename=part.get_filename() or "attachment",
                    content_type=part.get_content_type(),
                    data=data if isinstance(data, bytes) else b"",
                )
            )
        return found


class Mailbox:
    """Every caught mail, newest last; thread-safe (the SMTP loop writes, the page reads)."""

    def __init__(self) -> None:
        self._mails: list[CaughtMail] = []
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def add(self, raw: bytes, envelope_to: list[str]) -> CaughtMail:
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            mail = CaughtMail(next(self._ids), datetime.now(UTC), tuple(envelope_to), message)
            self._mails.append(mail)
        return mail

    def all(self) -> list[CaughtMail]:
        with self._lock:
            return list(self._mails)

    def get(self, mail_id: int) -> CaughtMail | None:
        with self._lock:
            return next((mail for mail in self._mails if mail.id == mail_id), None)

    def clear(self) -> None:
        with self._lock:
            self._mails.clear()


class _Handler:
    def __init__(self, mailbox: Mailbox) -> None:
        self._mailbox = mailbox

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        self._mailbox.add(envelope.original_content or envelope.content, list(envelope.rcpt_tos))
        return "250 Message caught by the LeadsCalendar mail sandbox"


class MailSink:
    """The SMTP side: accepts every message for any recipient, keeps it, relays nothing."""

    def __init__(self, mailbox: Mailbox, host: str, port: int) -> None:
        self.host, self.port = host, port
        self.mailbox = mailbox
        self._controller = Controller(_Handler(mailbox), hostname=host, port=port, ready_timeout=10)

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()
