"""The messages we send: their names, what a queued one carries, and how it is rendered.

Each message is a folder under ``templates/`` holding ``subject.txt``,
``body.txt`` and ``body.html`` (Jinja2; HTML autoescaped). A queued message
stores only the template name, the recipient and a JSON context of plain
strings, so a job row never holds anything that could not be shown to its
recipient; links are built at send time from ``LEADSCALENDAR_PUBLIC_URL``.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from functools import cached_property
from pathlib import Path
from typing import Any

import jinja2

TEMPLATE_DIR = Path(__file__).parent / "templates"


class MailTemplate(enum.StrEnum):
    NEEDS_REAUTH = "needs_reauth"
    BOOKING_PARKED = "booking_parked"
    # A booking's calendar work keeps failing for reasons only time fixes: told once.
    BOOKING_DELAYED = "booking_delayed"
    REFUND = "refund"


class MailContentError(Exception):
    """A queued message cannot be built (unknown template, bad address): retrying cannot help."""


@dataclass(frozen=True)
class OutgoingMail:
    template: MailTemplate
    to: str
    context: Mapping[str, Any]

    def to_payload(self) -> dict[str, Any]:
        return {"template": self.template.value, "to": self.to, "context": dict(self.context)}

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> OutgoingMail:
        try:
            template = MailTemplate(payload["template"])
            to = str(payload["to"])
            context = payload.get("context") or {}
        except (KeyError, ValueError) as error:
            raise MailContentError(f"not a mail job payload: {error}") from None
        if not isinstance(context, Mapping):
            raise MailContentError("the mail context is not a mapping")
        return cls(template, to, context)


def mask_address(address: str) -> str:
    """``lena@example.com`` -> ``l***@example.com``: enough to trace a mail in a log."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


class MailRenderer:
    """Renders a queued message into an ``EmailMessage`` (plain text + HTML alternative)."""

    def __init__(self, *, mail_from: str, public_url: str) -> None:
        self.mail_from = mail_from
        self._public_url = public_url.rstrip("/")

    @cached_property
    def _environment(self) -> jinja2.Environment:
        return jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATE_DIR),
            autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default=False),
            undefined=jinja2.StrictUndefined,
            keep_trailing_newline=True,
        )

    def render(self, mail: OutgoingMail, *, message_id: str | None = None) -> EmailMessage:
        context = {
            **mail.context,
            "public_url": self._public_url,
            "dashboard_url": f"{self._public_url}/dashboard",
            "operations_url": f"{self._public_url}/dashboard/operations",
        }
        try:
            subject = self._render(mail.template, "subject.txt", context)
            text = self._render(mail.template, "body.txt", context)
            html = self._render(mail.template, "body.html", context)
        except jinja2.TemplateError as error:
            raise MailContentError(f"template {mail.template.value}: {error}") from None
        message = EmailMessage()
        try:
            message["To"] = _address(mail.to)
            message["From"] = self.mail_from
        except (ValueError, IndexError) as error:
            raise MailContentError(f"invalid address: {error}") from None
        # One line, however the context was written: no header injection.
        message["Subject"] = " ".join(subject.split())
        message["Date"] = formatdate(localtime=False)
        if message_id:
            message["Message-ID"] = message_id
        message.set_content(text)
        message.add_alternative(html, subtype="html")
        return message

    def _render(self, template: MailTemplate, part: str, context: Mapping[str, Any]) -> str:
        return self._environment.get_template(f"{template.value}/{part}").render(context)


def _address(raw: str) -> Address:
    name, addr = parseaddr(raw)
    local, at, domain = addr.rpartition("@")
    if not at or not local or not domain or any(c.isspace() for c in addr):
        raise ValueError(f"{mask_address(raw)} is not an e-mail address")
    return Address(display_name=name, username=local, domain=domain)
