"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives.

It can be stopped and started again on the same port (to play an outage),
refuse chosen recipients with a chosen reply, and require a login.
"""

from __future__ import annotations

import email
import email.policy
import socket
import threading
import time
from collections.abc import Iterator
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Inbox:
    """aiosmtpd handler: stores messages; refuses recipients listed in ``refuse``."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: dict[str, str] = {}
        self._lock = threading.Lock()

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self._lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)


class MailServer:
    def __init__(self, *, login: tuple[str, str] | None = None) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self._login = login
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        if self._login is None:
            return f"smtp://127.0.0.1:{self.port}"
        user, password = self._login
        return f"smtp://{user}:{password}@127.0.0.1:{self.port}?helo=leadscalendar.test"

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self._login is not None
        ok = (
            isinstance(auth_data, LoginPassword)
            and (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            == self._login
        )
        # handled=False: aiosmtpd then answers 535 itself.
        return AuthResult(success=ok, handled=False)

    def start(self) -> None:
        extra: dict[str, Any] = {}
        if self._login is not None:
            extra = {"authenticator": self._authenticate, "auth_require_tls": False}
        self._controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=10, **extra
        )
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def wait_for(self, count: int, timeout: float = 20.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        while True:
            messages = self.inbox.received()
            if len(messages) >= count:
                return messages
            if time.monotonic() > deadline:
                raise AssertionError(f"{count} mail(s) expected, {len(messages)} arrived")
            time.sleep(0.05)


def text_of(message: EmailMessage) -> str:
    """The plain-text and the HTML parts, joined: what a test searches."""
    parts = []
    for part in message.walk():
        if part.get_content_maintype() == "text":
            parts.append(str(part.get_content()))
    return "\n".join(parts)


def raw_of(message: EmailMessage) -> str:
    return message.as_string()


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """A live SMTP server on loopback for one test (a pytest plugin: tests/conftest.py)."""
    server = MailServer()
    server.start()
    yield server
    server.stop()
